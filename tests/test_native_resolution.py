"""kwdocs.native, the engine's resolution in C and C++ (and by name in CMake and shell), on
headers of the PyTorch wheel and on small sources written here: includes and included-by,
C++ scope lookup, members through ``this``, a declared class or bases, parameters and locals,
what is not evident, and the matches by name across the Python / C++ boundary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from kwdocs.binding import Role
from kwdocs.config import load_settings
from kwdocs.index import KeywordIndex
from kwdocs.model import FileRecord, Kind
from kwdocs.native import IncludeGraph, NativeAnswer, NativeResolver, definition_targets
from kwdocs.pipeline import index_root
from native_support import native_root, native_workspace  # noqa: F401  (a fixture)

C10D = "torch/include/torch/csrc/distributed/c10d"
PROCESS_GROUP = f"{C10D}/ProcessGroup.hpp"
BACKEND = f"{C10D}/Backend.hpp"
STUB = "torch/_C/_distributed_c10d.pyi"


@dataclass
class Folder:
    """A workspace folder as the engine reads it: a root and its index."""

    root: Path
    index: KeywordIndex

    @property
    def records(self) -> dict[str, FileRecord]:
        return self.index.records

    @property
    def modules(self) -> object:
        return self.index.modules

    def full_path(self, path: str) -> str:
        return str(self.root / path)


def folder_of(root: Path) -> Folder:
    index, _ = index_root(load_settings(root))
    return Folder(root, index)


def ask(folder: Folder, path: str, line: int, needle: str, offset: int = 0) -> NativeAnswer | None:
    """Resolve the ``needle`` on 1-based ``line`` of ``path`` (at its first character + offset)."""
    text = (folder.root / path).read_text(encoding="utf-8")
    col = text.splitlines()[line - 1].index(needle) + offset
    return NativeResolver().resolve(folder, folder.index.records[path], text, line, col)


def places(targets) -> list[tuple[str, str, int, str]]:
    return [(t.role.value, t.keyword.qualname, t.keyword.line, t.path) for t in targets]


@pytest.fixture(scope="module")
def wheel(native_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Folder:  # noqa: F811
    files = [
        PROCESS_GROUP,
        BACKEND,
        f"{C10D}/Work.hpp",
        f"{C10D}/Types.hpp",
        "torch/include/ATen/Parallel.h",
        "torch/include/ATen/Parallel-inl.h",
    ]
    stubs = (STUB, "torch/__init__.py", "torch/_C/__init__.pyi")
    root = native_workspace(native_root, tmp_path_factory.mktemp("wheel"), files, stubs)
    return folder_of(root)


def test_includes_and_included_by(wheel: Folder) -> None:
    graph = IncludeGraph(wheel.records)
    includes = graph.includes(PROCESS_GROUP)
    written = [(i.keyword.target, i.path, i.system) for i in includes]
    assert written[:3] == [
        ("torch/csrc/distributed/c10d/Backend.hpp", BACKEND, True),
        ("torch/csrc/distributed/c10d/Work.hpp", f"{C10D}/Work.hpp", True),
        ("memory", None, True),
    ]
    assert graph.included_by(BACKEND) == [PROCESS_GROUP]
    assert graph.included_by(f"{C10D}/Types.hpp") == [BACKEND]
    assert graph.included_by(PROCESS_GROUP) == []
    # "#include <ATen/Parallel-inl.h>" at the end of Parallel.h, found under torch/include.
    assert "torch/include/ATen/Parallel.h" in graph.included_by("torch/include/ATen/Parallel-inl.h")


def test_declaration_to_definition_across_headers(wheel: Folder) -> None:
    answer = ask(wheel, "torch/include/ATen/Parallel.h", 77, "parallel_for")
    assert answer is not None and answer.here
    assert places(answer.targets) == [
        ("definition", "at::parallel_for", 77, "torch/include/ATen/Parallel.h"),
        ("definition", "at::parallel_for", 11, "torch/include/ATen/Parallel-inl.h"),
    ]
    assert answer.targets[0].keyword.declaration
    assert places(definition_targets(answer)) == [
        ("definition", "at::parallel_for", 11, "torch/include/ATen/Parallel-inl.h")
    ]


def test_scope_lookup_through_namespaces_and_classes(wheel: Folder) -> None:
    # In a method of c10d::ProcessGroup, AllreduceOptions is c10d::AllreduceOptions.
    answer = ask(wheel, PROCESS_GROUP, 243, "AllreduceOptions")
    assert answer is not None and not answer.here
    assert places(answer.proven) == [
        ("definition", "c10d::AllreduceOptions", 127, f"{C10D}/Types.hpp")
    ]
    # BackendType::NCCL: through the class scope of the method around it.
    answer = ask(wheel, PROCESS_GROUP, 104, "NCCL")
    assert answer is not None
    assert [t.keyword.qualname for t in answer.proven] == ["c10d::ProcessGroup::BackendType::NCCL"]
    # ::c10d::ProcessGroup: written from the global namespace.
    answer = ask(wheel, PROCESS_GROUP, 250, "ProcessGroup")
    assert answer is not None and answer.word.segments == ("c10d", "ProcessGroup")
    assert [t.keyword.qualname for t in answer.proven] == ["c10d::ProcessGroup"]


def test_parameters_and_locals(wheel: Folder) -> None:
    answer = ask(wheel, PROCESS_GROUP, 257, "tensors")
    assert answer is not None
    (target,) = answer.targets
    assert (target.role, target.keyword.line, target.context) == (
        Role.PARAMETER,
        242,
        "c10d::ProcessGroup::allreduce",
    )
    assert target.keyword.signature == "std::vector<at::Tensor>& tensors"
    answer = ask(wheel, PROCESS_GROUP, 256, "op.call")
    assert answer is not None
    assert [(t.role, t.keyword.line) for t in answer.targets] == [(Role.LOCAL, 244)]


def test_across_the_boundary(wheel: Folder) -> None:
    resolver = NativeResolver()
    stub = wheel.records[STUB]
    by_qualname = {k.qualname: k for k in stub.keywords}
    group = resolver.cpp_counterparts(wheel, STUB, by_qualname["ProcessGroup"])
    assert places(group) == [("by name", "c10d::ProcessGroup", 73, PROCESS_GROUP)]
    nested = resolver.cpp_counterparts(wheel, STUB, by_qualname["ReduceOp.RedOpType"])
    assert places(nested) == [("by name", "c10d::ReduceOp::RedOpType", 39, f"{C10D}/Types.hpp")]
    # The owner decides: Backend.abort is c10d::Backend::abort, not ProcessGroup's.
    abort = resolver.cpp_counterparts(wheel, STUB, by_qualname["Backend.abort"])
    assert places(abort) == [("by name", "c10d::Backend::abort", 525, BACKEND)]
    # Backend.rank binds the C++ getRank: names differ, and no match is claimed.
    assert resolver.cpp_counterparts(wheel, STUB, by_qualname["Backend.rank"]) == []
    cpp = {k.qualname: k for k in wheel.records[PROCESS_GROUP].keywords}
    back = resolver.stub_counterparts(wheel, cpp["c10d::ProcessGroup::allreduce"])
    assert {(t.role, t.keyword.qualname, t.path) for t in back} == {
        (Role.BY_NAME, "ProcessGroup.allreduce", STUB)
    }
    assert len(back) == 3  # the stub's three overloads
    # A .py file is no extension's stub: nothing across.
    assert resolver.cpp_counterparts(wheel, "torch/__init__.py", by_qualname["ProcessGroup"]) == []


SHAPES = """\
#include "shape.h"
#include <vector>

namespace geo {

/// The sum of the areas.
double total(const Square& s, Square* p, std::vector<Square> all) {
  auto copy = s;
  double sum = s.area() + p->side() + copy.area();
  for (const Square& each : all) {
    sum += each.side();
  }
  return sum + helper();
}

double Square::twice() const {
  return this->area() * 2 + side();
}

}  // namespace geo

using namespace geo;

void outside() { total(Square(), nullptr, {}); }
"""

SHAPE_H = """\
#pragma once
#define GEO_API

namespace geo {

/** A shape with an area. */
struct GEO_API Shape {
  virtual double area() const;
};

/// A square.
class Square : public Shape {
 public:
  double side() const;
  double twice() const;
};

double helper();

}  // namespace geo
"""


def test_members_where_evident(make_tree) -> None:
    folder = folder_of(make_tree({"src/shapes.cpp": SHAPES, "src/shape.h": SHAPE_H}))
    cpp = "src/shapes.cpp"

    def proven(line: int, needle: str, offset: int = 0) -> list[tuple[str, int, str]]:
        answer = ask(folder, cpp, line, needle, offset)
        assert answer is not None
        return [(t.keyword.qualname, t.keyword.line, t.path) for t in answer.proven]

    # s is a const Square&: area comes from its base, Shape.
    assert proven(9, "area") == [("geo::Shape::area", 8, "src/shape.h")]
    # p is a Square*: side through ->.
    assert proven(9, "side") == [("geo::Square::side", 14, "src/shape.h")]
    # each is the range loop's Square.
    assert proven(11, "side") == [("geo::Square::side", 14, "src/shape.h")]
    # this-> in a member function defined out of its class.
    assert proven(17, "area") == [("geo::Shape::area", 8, "src/shape.h")]
    # An unqualified member in a member function: the class scope, then the base.
    assert proven(17, "side") == [("geo::Square::side", 14, "src/shape.h")]
    assert proven(13, "helper") == [("geo::helper", 18, "src/shape.h")]
    # copy is auto: not evident, and said so; the candidates are matches by name only.
    answer = ask(folder, cpp, 9, "copy.area", 5)
    assert answer is not None and answer.proven == []
    assert answer.note.startswith("The type of what comes before `.` is not stated")
    assert [(t.role, t.keyword.qualname) for t in answer.targets] == [
        (Role.BY_NAME, "geo::Shape::area")
    ]
    # total, called after "using namespace geo": kwdocs reads no using-directive, so it
    # says the answer is by name.
    answer = ask(folder, cpp, 24, "total")
    assert answer is not None and answer.proven == []
    assert "using-directive" in answer.note
    assert [(t.role, t.keyword.qualname) for t in answer.targets] == [(Role.BY_NAME, "geo::total")]
    # The macro, its own definition; the summary of a struct with an export macro.
    answer = ask(folder, "src/shape.h", 7, "GEO_API")
    assert answer is not None
    assert [(t.keyword.kind, t.keyword.line) for t in answer.proven] == [(Kind.MACRO, 2)]
    answer = ask(folder, cpp, 7, "Square")
    assert answer is not None
    assert [(t.keyword.qualname, t.keyword.summary) for t in answer.proven] == [
        ("geo::Square", "A square.")
    ]
    # Comments, strings and keywords are no names.
    assert ask(folder, cpp, 6, "sum") is None
    assert ask(folder, cpp, 7, "double") is None


def test_cmake_and_shell_by_name(make_tree) -> None:
    folder = folder_of(
        make_tree(
            {
                "CMakeLists.txt": "include(tools.cmake)\nadd_tool(main)\n",
                "tools.cmake": "# Adds a tool.\nfunction(add_tool name)\nendfunction()\n",
                "run.sh": "go() { :; }\ngo\n",
            }
        )
    )
    answer = ask(folder, "CMakeLists.txt", 2, "add_tool")
    assert answer is not None
    assert [(t.keyword.name, t.path, t.keyword.summary) for t in answer.targets] == [
        ("add_tool", "tools.cmake", "Adds a tool.")
    ]
    answer = ask(folder, "run.sh", 2, "go")
    assert answer is not None and [(t.path, t.keyword.line) for t in answer.targets] == [
        ("run.sh", 1)
    ]
