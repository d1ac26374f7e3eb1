"""Python keyword extraction is exact: every definition and import, nothing else, right positions.

The oracles are independent of the extractor: the compiler's own symbol table (``symtable``)
for classes and functions, and a full ``ast.walk`` for imports and module-level bindings.
"""

from __future__ import annotations

import ast
import symtable
from pathlib import Path

import pytest
from kwdocs.extract import extract_bytes
from kwdocs.model import FileRecord

FSDP = "torch/distributed/fsdp"
_SCOPE_NOISE = {"lambda", "genexpr", "listcomp", "setcomp", "dictcomp"}
_DEFINITION_KINDS = {"class", "function", "method", "property"}


def _symtable_definitions(source: str, path: str) -> set[tuple[str, str, int]]:
    """(kind group, qualname, line) of every class and function, from the compiler."""
    found: set[tuple[str, str, int]] = set()

    def visit(table: symtable.SymbolTable, prefix: str, parent_is_class: bool) -> None:
        for child in table.get_children():
            name = child.get_name()
            kind = child.get_type()
            kind = getattr(kind, "value", kind)  # an enum from Python 3.13 on
            if name in _SCOPE_NOISE or kind not in ("function", "class"):
                # Type-parameter scopes (3.12+) hold the real definition one level down.
                if kind not in ("function", "class"):
                    visit(child, prefix, parent_is_class)
                continue
            qualname = f"{prefix}.{name}" if prefix else name
            group = "class" if kind == "class" else ("method" if parent_is_class else "function")
            found.add((group, qualname, child.get_lineno()))
            visit(child, qualname, kind == "class")

    visit(symtable.symtable(source, path, "exec"), "", False)
    return found


def _extracted_definitions(record: FileRecord) -> set[tuple[str, str, int]]:
    return {
        ("method" if k.kind == "property" else k.kind, k.qualname, k.line)
        for k in record.keywords
        if k.kind in _DEFINITION_KINDS
    }


def _walk_imports(tree: ast.Module) -> set[tuple[str, str]]:
    """(name as written, alias) of every imported module and name, anywhere in the file."""
    found: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update((a.name, a.asname or "") for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            star = "*" if any(a.name == "*" for a in node.names) else ""
            found.add(("." * node.level + (node.module or ""), star))
            found.update((a.name, a.asname or "") for a in node.names if a.name != "*")
    return found


def _module_bindings(tree: ast.Module) -> set[str]:
    """Names bound at module level by assignment statements (inside if/try blocks too)."""
    names: set[str] = set()

    def targets(node: ast.expr) -> None:
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                targets(element)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    def block(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    targets(target)
            elif isinstance(node, ast.AnnAssign):
                targets(node.target)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    block(getattr(node, field, []) or [])
                for case in getattr(node, "cases", []) or []:
                    block(case.body)

    block(tree.body)
    return names


def assert_exact(path: str, data: bytes) -> FileRecord:
    """The record of ``data`` holds exactly the file's definitions, imports and bindings."""
    record = extract_bytes(path, data)
    source = data.decode("utf-8")
    tree = ast.parse(source)
    assert record.parser == "ast" and not record.problems, record.problems

    assert _extracted_definitions(record) == _symtable_definitions(source, path)
    imports = {(k.name, k.alias) for k in record.keywords if k.kind in ("module", "import")}
    assert imports == _walk_imports(tree)
    variables = {k.name for k in record.keywords if k.kind in ("constant", "variable")}
    assert variables == _module_bindings(tree)

    # Every keyword sits in the source exactly where the record says.
    lines = source.splitlines()
    for keyword in record.keywords:
        text = lines[keyword.line - 1]
        assert text[keyword.col : keyword.end_col] == keyword.name, (keyword, text)
        assert keyword.end_line >= keyword.line
    return record


def _fsdp_files(torch_root: Path) -> list[Path]:
    files = sorted((torch_root / FSDP).rglob("*.py"))
    assert len(files) > 20
    return files


def test_every_fsdp_file_is_exact(torch_root: Path) -> None:
    for file in _fsdp_files(torch_root):
        assert_exact(file.relative_to(torch_root).as_posix(), file.read_bytes())


def test_flat_param_has_no_invented_keywords_and_all_imports(torch_root: Path) -> None:
    path = f"{FSDP}/_flat_param.py"
    record = assert_exact(path, (torch_root / path).read_bytes())
    names = {k.name for k in record.keywords}
    # The seed listed these as classes: none is a definition.
    assert not names & {"for", "super", "docstring", "Classs", "if", "class"}
    imported = [k for k in record.keywords if k.kind in ("module", "import")]
    assert len(imported) == 47  # 19 modules and 28 names: the seed missed 20 of them
    classes = {k.name for k in record.keywords if k.kind == "class"}
    assert classes == {
        "HandleShardingStrategy",
        "ParamInfo",
        "SharedParamInfo",
        "_ShardParamInfo",
        "FlatParamShardMetadata",
        "_FlatParameterMeta",
        "FlatParameter",
        "FlatParamHandle",
    }
    by_qualname = {k.qualname: k for k in record.keywords}
    assert by_qualname["FlatParamHandle.unshard"].kind == "method"
    assert by_qualname["FlatParamHandle.sharded_grad"].kind == "property"
    relative = by_qualname["._fsdp_extensions"]
    assert relative.target == "torch.distributed.fsdp._fsdp_extensions"
    functional = next(k for k in imported if k.name == "torch.nn.functional")
    assert (functional.alias, functional.qualname) == ("F", "F")


def test_fsdp_param_has_its_dataclasses_and_no_prose(torch_root: Path) -> None:
    path = f"{FSDP}/_fully_shard/_fsdp_param.py"
    record = assert_exact(path, (torch_root / path).read_bytes())
    names = {k.name for k in record.keywords}
    assert {"ParamModuleInfo", "ExtensionsData", "FSDPParam", "ShardedState"} <= names
    assert not names & {"class", "if", "manages", "aliasing"}
    info = next(k for k in record.keywords if k.name == "ParamModuleInfo")
    assert info.kind == "class" and "dataclass" in info.decorators
    assert info.summary.startswith("For a parameter")


STDLIB_MODULES = [
    "argparse.py",
    "asyncio/base_events.py",
    "collections/__init__.py",
    "dataclasses.py",
    "email/_header_value_parser.py",
    "enum.py",
    "functools.py",
    "json/decoder.py",
    "logging/__init__.py",
    "pathlib.py",
    "typing.py",
    "unittest/mock.py",
]


@pytest.mark.parametrize("relpath", STDLIB_MODULES)
def test_stdlib_modules_are_exact(stdlib_root: Path, relpath: str) -> None:
    file = stdlib_root / relpath
    if not file.exists():  # a module that moved in another Python version
        pytest.skip(f"{relpath} is not in this Python's standard library")
    assert_exact(relpath, file.read_bytes())


def test_whole_stdlib_top_level_is_exact(stdlib_root: Path) -> None:
    checked = 0
    for file in sorted(stdlib_root.glob("*.py")):
        data = file.read_bytes()
        try:
            data.decode("utf-8")
            ast.parse(data)
        except (UnicodeDecodeError, SyntaxError):
            continue  # test data files with deliberate errors
        assert_exact(file.name, data)
        checked += 1
    assert checked > 150


def test_kinds_signatures_and_summaries(make_tree) -> None:
    source = '''"""Shapes.

More text.
"""
from __future__ import annotations
import os.path as osp, sys
from . import sibling
from ..pkg import thing as other

__all__ = ["Shape", "area"]
LIMIT: int = 10
counter = 0
a, (b, c) = 1, (2, 3)

class Shape(Base, metaclass=Meta):
    """A shape.

    Long description.
    """
    sides = 0

    def __init__(self, n: int = 3) -> None:
        self.n = n

    @property
    def size(self) -> int:
        return self.n

    @size.setter
    def size(self, value): ...

    async def fetch(self, *args, **kw):
        def helper():
            pass

    class Inner:
        def deep(self): pass

@decorator(1)
def area(shape: Shape, /, scale=2.0, *, exact: bool = False) -> float:
    """Area of a shape."""
    def nested(): ...
    return 0.0

if sys.version_info > (3, 10):
    def conditional(): ...
else:
    FALLBACK = None
'''
    record = extract_bytes("pkg/sub/shapes.py", source.encode())
    by_qual = {(k.qualname, k.line): k for k in record.keywords}
    kinds = {k.qualname: k.kind for k in record.keywords}
    assert record.docstring.startswith("Shapes.")
    assert record.all_names == ["Shape", "area"]
    assert kinds["Shape"] == "class"
    assert kinds["Shape.__init__"] == "method"
    assert kinds["Shape.fetch"] == "method"
    assert kinds["Shape.fetch.helper"] == "function"
    assert kinds["Shape.Inner"] == "class"
    assert kinds["Shape.Inner.deep"] == "method"
    assert kinds["area"] == "function"
    assert kinds["area.nested"] == "function"
    assert kinds["conditional"] == "function"
    assert kinds["LIMIT"] == "constant" and kinds["FALLBACK"] == "constant"
    assert kinds["counter"] == "variable" and kinds["__all__"] == "variable"
    assert {"a", "b", "c"} <= set(kinds)
    assert "sides" not in kinds  # class attributes are not module-level names
    sizes = [k for k in record.keywords if k.qualname == "Shape.size"]
    assert [k.kind for k in sizes] == ["property", "property"]
    shape = next(k for k in record.keywords if k.qualname == "Shape")
    assert shape.signature == "class Shape(Base, metaclass=Meta)"
    assert shape.bases == ("Base",)
    assert shape.summary == "A shape."
    area = next(k for k in record.keywords if k.qualname == "area")
    assert area.signature == (
        "def area(shape: Shape, /, scale=2.0, *, exact: bool = False) -> float"
    )
    assert area.decorators == ("decorator(1)",)
    assert area.summary == "Area of a shape."
    fetch = next(k for k in record.keywords if k.qualname == "Shape.fetch")
    assert fetch.signature.startswith("async def fetch(")
    targets = {k.name: k.target for k in record.keywords if k.kind in ("module", "import")}
    assert targets["os.path"] == "os.path"
    assert targets["."] == "pkg.sub"
    assert targets["sibling"] == "pkg.sub.sibling"
    assert targets["..pkg"] == "pkg.pkg"
    assert targets["thing"] == "pkg.pkg.thing"
    limit = next(k for k in record.keywords if k.name == "LIMIT")
    assert limit.signature == "LIMIT: int"
    assert len(by_qual) == len(record.keywords)


def test_columns_are_code_points_on_non_ascii_lines() -> None:
    source = 'x = "héllo wörld"; y = 1\ndef café(ñ=1): pass\nclass Ünïcode: pass\n'
    record = extract_bytes("u.py", source.encode())
    lines = source.splitlines()
    for keyword in record.keywords:
        assert lines[keyword.line - 1][keyword.col : keyword.end_col] == keyword.name
    y = next(k for k in record.keywords if k.name == "y")
    assert y.col == lines[0].index("y =")


def test_class_members_are_attribute_keywords() -> None:
    source = '''import enum
from dataclasses import dataclass


@dataclass
class Info:
    """Where a parameter lives."""

    name: str  # unprefixed
    # The module holding it.
    # Second line of the comment.
    module: "nn.Module" = None
    count: int = 1  # type: ignore[assignment]
    __slots__ = ("name",)
    table = {
        "a": 1,
    }

    def method(self) -> None:
        local = 1


class State(enum.Enum):
    SHARDED = enum.auto()
    UNSHARDED = 2
'''
    record = extract_bytes("pkg/info.py", source.encode())
    members = {k.qualname: k for k in record.keywords if k.kind == "attribute"}
    assert list(members) == [
        "Info.name",
        "Info.module",
        "Info.count",
        "Info.table",
        "State.SHARDED",
        "State.UNSHARDED",
    ]
    assert members["Info.name"].signature == "name: str"
    assert members["Info.name"].summary == "unprefixed"
    assert members["Info.module"].signature == 'module: "nn.Module" = None'
    assert members["Info.module"].summary == "The module holding it. Second line of the comment."
    assert members["Info.count"].summary == ""  # a tool's directive is no comment
    assert members["Info.table"].signature == "table = …"
    assert members["State.SHARDED"].signature == "SHARDED = enum.auto()"
    assert members["State.UNSHARDED"].signature == "UNSHARDED = 2"
    name = members["Info.name"]
    assert (name.line, name.col, name.end_col) == (9, 4, 8)
    # The recovering parser reads the same members from a file that does not parse.
    broken = extract_bytes("pkg/info.py", (source + "\ndef broken(:\n").encode())
    assert broken.parser == "parso"
    recovered = {k.qualname: k for k in broken.keywords if k.kind == "attribute"}
    assert list(recovered) == list(members)
    for qualname, keyword in recovered.items():
        assert keyword.signature == members[qualname].signature, qualname
        assert keyword.summary == members[qualname].summary, qualname


def test_summaries_end_at_a_sentence_boundary(torch_root: Path) -> None:
    path = "torch/distributed/fsdp/_fully_shard/_fully_shard.py"
    record = extract_bytes(path, (torch_root / path).read_bytes())
    summaries = {k.qualname: k.summary for k in record.keywords if k.summary}
    for qualname, summary in summaries.items():
        assert not summary.startswith(("Args:", "Arguments:")), qualname
        assert len(summary) < 500 and not summary.endswith("..."), qualname
    # Its docstring opens with ``Args:``: a section is no summary.
    assert "FSDPModule.set_all_reduce_hook" not in summaries
    assert summaries["FSDPModule.reshard"].endswith(".")
