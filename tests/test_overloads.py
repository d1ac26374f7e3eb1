"""``@overload`` declarations and the definition that runs: the engine tells them apart, a
folder's public API links to the implementation (where the docstring is) and names it once.
The hover side is in tests/lsp/test_hover.py, fsdp's ``doc.md`` in tests/test_pages_fsdp.py."""

from __future__ import annotations

from pathlib import Path

from export_support import export
from kwdocs.extract import extract_source
from kwdocs.resolve import implementation, is_overload, keywords_named
from overload_support import IMPL, STUB


def _record(path: str, text: str):
    return extract_source(path, text.encode()).record


def test_an_overload_leads_to_the_definition_that_runs() -> None:
    record = _record("impl.py", IMPL)
    first, second, runs = keywords_named(record, "pick")
    assert is_overload(record, first) and is_overload(record, second)
    assert not is_overload(record, runs)
    assert implementation(record, first) is runs
    assert implementation(record, second) is runs
    assert implementation(record, runs) is runs
    (plain,) = keywords_named(record, "plain")
    assert implementation(record, plain) is plain
    # A stub's overloads have no implementation: each stands for itself.
    stub = _record("impl.pyi", STUB)
    for keyword in keywords_named(stub, "pick"):
        assert implementation(stub, keyword) is keyword


def test_the_public_api_links_an_overloaded_function_to_its_implementation(
    make_tree,
) -> None:
    root = make_tree(
        {
            "pkg/__init__.py": "from .impl import pick, plain\n\n__all__ = ['pick', 'plain']\n",
            "pkg/impl.py": IMPL,
            "tools/impl.py": IMPL,  # no __init__.py: the API is the files' own definitions
            "stubs/impl.pyi": STUB,  # overloads only: the first stands for the name
        }
    )
    export(root)
    doc = (root / "docs" / "kwdocs" / "pkg" / "doc.md").read_text(encoding="utf-8")
    entry = next(line for line in doc.splitlines() if "`pick`" in line)
    # The third heading named pick on the page is the implementation's.
    assert "(./impl.py_docs.md#function-pick-2)" in entry
    assert entry.endswith(": Return `x` unchanged.")
    tools = (root / "docs" / "kwdocs" / "tools" / "doc.md").read_text(encoding="utf-8")
    listed = [line for line in tools.splitlines() if "[`pick`]" in line]
    assert len(listed) == 1 and "#function-pick-2)" in listed[0]
    stubs = (root / "docs" / "kwdocs" / "stubs" / "doc.md").read_text(encoding="utf-8")
    listed = [line for line in stubs.splitlines() if "[`pick`]" in line]
    assert len(listed) == 1 and "(./impl.pyi_docs.md#function-pick)" in listed[0]
    page = (root / "docs" / "kwdocs" / "pkg" / "impl.py_docs.md").read_text(encoding="utf-8")
    assert page.count("#### function `pick`") == 3  # each definition keeps its own section
    # Each overload's section says where the code that runs is.
    pointer = "- **Overload**: a signature for type checkers; the code that runs, and its "
    pointer += "docstring, is [`pick`](./impl.py_docs.md#function-pick-2) at lines 13–15"
    assert page.count(pointer) == 2
    # The keyword page tells the three apart.
    kw = (root / "docs" / "kwdocs" / "pkg" / "impl.py_kw.md").read_text(encoding="utf-8")
    entries = [line for line in kw.splitlines() if line.startswith("- **`pick`**")]
    assert len(entries) == 3
    assert entries[0].endswith("(`@overload`, line 6)")
    assert entries[1].endswith("(`@overload`, line 10)")
    assert "@overload" not in entries[2]


def test_fully_shard_is_overloaded_and_its_implementation_is_documented(
    torch_root: Path,
) -> None:
    source = torch_root / "torch/distributed/fsdp/_fully_shard/_fully_shard.py"
    record = _record(str(source.relative_to(torch_root)), source.read_text(encoding="utf-8"))
    found = keywords_named(record, "fully_shard")
    assert [is_overload(record, k) for k in found] == [True, True, False]
    runs = implementation(record, found[0])
    assert runs.line == 98 and runs.summary.startswith("Apply fully sharded data parallelism")


def test_a_call_of_an_overloaded_function_lands_on_the_definition_that_runs(
    tmp_path: Path,
) -> None:
    from test_pages_calls import build, graph_of, placed

    build(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/impl.py": IMPL,
            "pkg/stub.pyi": STUB,
            "pkg/use.py": (
                "from pkg import impl, stub\n"
                "from pkg.impl import pick\n"
                "\n"
                "\n"
                "def main():\n"
                "    impl.pick(1)\n"
                "    return pick('a')\n"
                "\n"
                "\n"
                "def typed():\n"
                "    return stub.pick(1)\n"
            ),
        },
    )
    graph = graph_of(tmp_path)
    implementation_line = IMPL.splitlines().index("def pick(x):") + 1
    calls = {f.qualname: f.callees for f in graph.calls_of("pkg/use.py")}
    # Two calls of one function: one callee, the implementation (not one per signature).
    assert [(c.path, c.qualname, c.line) for c in calls["main"]] == [
        ("pkg/impl.py", "pick", implementation_line)
    ]
    # A stub's overloads have no implementation: the first declaration stands for the name.
    assert [(c.path, c.qualname, c.line) for c in calls["typed"]] == [("pkg/stub.pyi", "pick", 4)]
    callers = graph.callers_of("pkg/impl.py")
    assert {line for (qualname, line) in callers if qualname == "pick"} == {implementation_line}
    assert placed(graph, "pkg/use.py")["main"] == (["pkg/impl.py:pick"], 0, 0)


def test_overload_imported_under_another_name_is_an_overload(torch_root: Path) -> None:
    # torch/__init__.py: ``from typing import overload as _overload``, then ``@_overload``.
    source = torch_root / "torch/__init__.py"
    record = _record("torch/__init__.py", source.read_text(encoding="utf-8"))
    found = keywords_named(record, "compile")
    assert [k.decorators for k in found[:2]] == [("_overload",), ("_overload",)]
    assert [is_overload(record, k) for k in found] == [True, True, False]
    assert implementation(record, found[0]) is found[2]
    # A decorator of that name bound to something else is no overload.
    other = _record(
        "other.py", "from mylib import overload as _overload\n\n\n@_overload\ndef f(): ...\n"
    )
    (f,) = keywords_named(other, "f")
    assert not is_overload(other, f)
