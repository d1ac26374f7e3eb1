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
    assert is_overload(first) and is_overload(second) and not is_overload(runs)
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
    assert [is_overload(k) for k in found] == [True, True, False]
    runs = implementation(record, found[0])
    assert runs.line == 98 and runs.summary.startswith("Apply fully sharded data parallelism")
