"""The tree-sitter extractors wired into extraction and indexing: the records of C, C++, CUDA,
YAML, CMake and shell files of the PyTorch wheel carry their language, parser and keywords
through the pipeline and the cache; a file whose grammar is not installed is read as text with
a problem saying why, and read again once the grammar is there."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from kwdocs.config import load_settings
from kwdocs.extract import extract_bytes, language_of
from kwdocs.model import Kind, decode_record, encode_record
from kwdocs.pipeline import index_root
from native_support import native_root, native_workspace  # noqa: F401  (a fixture)

INCLUDE = "torch/include"
C10D = f"{INCLUDE}/torch/csrc/distributed/c10d"
PROCESS_GROUP = f"{C10D}/ProcessGroup.hpp"
NATIVE_FUNCTIONS = "torchgen/packaged/ATen/native/native_functions.yaml"
CMAKE_FILE = "torch/share/cmake/Caffe2/public/utils.cmake"


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a/b.py", "python"),
        ("a/b.pyi", "python"),
        ("README.md", "markdown"),
        ("x.c", "c"),
        ("x.h", "cpp"),
        ("X.HPP", "cpp"),
        ("x.cc", "cpp"),
        ("x.cpp", "cpp"),
        ("k.cu", "cuda"),
        ("k.cuh", "cuda"),
        ("c.yaml", "yaml"),
        ("c.yml", "yaml"),
        ("f.cmake", "cmake"),
        ("sub/CMakeLists.txt", "cmake"),
        ("run.sh", "shell"),
        ("run.bash", "shell"),
        ("notes.txt", "text"),
        ("setup.cfg", "text"),
    ],
)
def test_language_of(path: str, language: str) -> None:
    assert language_of(path) == language


def test_header_record(native_root: Path) -> None:  # noqa: F811
    data = (native_root / PROCESS_GROUP).read_bytes()
    record = extract_bytes(PROCESS_GROUP, data, 123)
    assert (record.language, record.parser, record.problems) == ("cpp", "tree-sitter-cpp", [])
    assert record.lines == data.count(b"\n")
    by_qualname = {k.qualname: k for k in record.keywords}
    assert by_qualname["c10d::ProcessGroup"].kind == Kind.CLASS
    assert by_qualname["c10d::ProcessGroup::allreduce"].kind == Kind.METHOD
    includes = [k.target for k in record.keywords if k.kind == Kind.INCLUDE]
    assert includes[:2] == [
        "torch/csrc/distributed/c10d/Backend.hpp",
        "torch/csrc/distributed/c10d/Work.hpp",
    ]
    # Records travel between processes and into the cache as msgpack: nothing is lost.
    assert decode_record(encode_record(record)) == record


def test_each_language_record(native_root: Path) -> None:  # noqa: F811
    cuda_rel = next(str(p.relative_to(native_root)) for p in sorted(native_root.rglob("*.cuh")))
    cuda = extract_bytes(cuda_rel, (native_root / cuda_rel).read_bytes())
    assert (cuda.language, cuda.parser) == ("cuda", "tree-sitter-cuda")
    yaml = extract_bytes(NATIVE_FUNCTIONS, (native_root / NATIVE_FUNCTIONS).read_bytes())
    assert (yaml.language, yaml.parser) == ("yaml", "tree-sitter-yaml")
    add = next(k for k in yaml.keywords if k.name == "add.Tensor")
    assert add.kind == Kind.FUNCTION and add.signature.startswith("add.Tensor(Tensor self")
    cmake = extract_bytes(CMAKE_FILE, (native_root / CMAKE_FILE).read_bytes())
    assert (cmake.language, cmake.parser) == ("cmake", "tree-sitter-cmake")
    assert {k.kind for k in cmake.keywords} >= {Kind.FUNCTION, Kind.MACRO}
    shell = extract_bytes("run.sh", b"# Greets.\ngreet() {\n  echo hi\n}\n")
    assert (shell.language, shell.parser) == ("shell", "tree-sitter-bash")
    assert [(k.name, k.kind, k.summary) for k in shell.keywords] == [
        ("greet", Kind.FUNCTION, "Greets.")
    ]
    c = extract_bytes("x.c", b"/** Adds. */\nint add(int a, int b) { return a + b; }\n")
    assert (c.language, c.parser) == ("c", "tree-sitter-c")
    assert [(k.name, k.summary) for k in c.keywords] == [("add", "Adds.")]


def test_syntax_errors_are_problems_not_failures() -> None:
    record = extract_bytes("bad.hpp", b"namespace n {\nclass A { void f( };\nint g();\n")
    assert record.language == "cpp"
    assert record.problems and "tree-sitter-cpp could not parse" in record.problems[0].message
    assert "g" in {k.name for k in record.keywords}  # what follows the error is still read


def test_index_of_a_wheel_folder(native_root: Path, tmp_path: Path) -> None:  # noqa: F811
    rels = [
        PROCESS_GROUP,
        f"{C10D}/Backend.hpp",
        f"{C10D}/Work.hpp",
        NATIVE_FUNCTIONS,
        CMAKE_FILE,
    ]
    root = native_workspace(native_root, tmp_path / "ws", rels)
    settings = load_settings(root)
    index, report = index_root(settings)
    assert report.files == len(rels) and not report.skipped
    languages = {path: record.language for path, record in index.records.items()}
    assert languages == {
        PROCESS_GROUP: "cpp",
        f"{C10D}/Backend.hpp": "cpp",
        f"{C10D}/Work.hpp": "cpp",
        NATIVE_FUNCTIONS: "yaml",
        CMAKE_FILE: "cmake",
    }
    found = index.lookup_qualname("c10d::ProcessGroup")
    assert [(d.path, d.keyword.kind) for d in found] == [(PROCESS_GROUP, Kind.CLASS)]
    assert {d.path for d in index.lookup("Backend") if d.keyword.kind == Kind.CLASS} == {
        f"{C10D}/Backend.hpp"
    }
    # The warm run reads every record from the cache, unchanged.
    again, warm = index_root(load_settings(root))
    assert warm.from_cache == len(rels) and warm.extracted == 0
    assert again.records == index.records


# Run in a child interpreter: a finder placed first on sys.meta_path refuses tree_sitter_cmake,
# as an interpreter without the ``cmake`` extra would.
_CHILD = textwrap.dedent(
    """
    import json, sys
    if sys.argv[2] == "without":
        class Refuse:
            def find_spec(self, name, path=None, target=None):
                if name == "tree_sitter_cmake":
                    raise ModuleNotFoundError(name)
                return None
        sys.meta_path.insert(0, Refuse())
    from kwdocs.config import load_settings
    from kwdocs.pipeline import index_root
    index, report = index_root(load_settings(sys.argv[1]))
    record = index.get("CMakeLists.txt")
    print(json.dumps({
        "language": record.language,
        "keywords": [k.name for k in record.keywords],
        "problems": [p.message for p in record.problems],
        "extracted": report.extracted,
    }))
    """
)


def test_missing_grammar_reads_the_file_as_text(make_tree, tmp_path: Path) -> None:
    root = make_tree(
        {
            "CMakeLists.txt": "# Builds it.\nfunction(build_it name)\nendfunction()\n",
            "a.h": "int f();\n",
        }
    )

    def run(mode: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(root), mode],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(done.stdout)

    without = run("without")
    assert without == {
        "language": "text",
        "keywords": [],
        "problems": [
            "CMake's grammar (tree-sitter-cmake) is not installed: read as text "
            "(pip install 'kwdocs[cmake]')"
        ],
        "extracted": 2,
    }
    assert run("without")["extracted"] == 0  # the cache holds it while nothing changes
    # The grammar installed: the cache of the interpreter without it is not reused.
    with_grammar = run("with")
    assert with_grammar == {
        "language": "cmake",
        "keywords": ["build_it"],
        "problems": [],
        "extracted": 2,
    }
