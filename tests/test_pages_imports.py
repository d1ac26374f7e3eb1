"""A file's imports on its docs page: each statement with its own line and names (star imports
and aliases included), one entry per resolved module however it is spelt, the Overview's count
that very list's length; and which files a file imports, from every import statement."""

from __future__ import annotations

from pathlib import Path

from kwdocs.analyse import Analysis
from kwdocs.extract import extract_source
from kwdocs.extract.incremental import IncrementalExtractor
from kwdocs.facts import page_facts
from kwdocs.render.docs_page import render_docs_page

TORCH = Path("/work/main/benchmarks/.corpora/torch")


def _records(files: dict[str, str]) -> dict:
    records = {}
    for path, source in files.items():
        module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        records[path] = extract_source(path, source.encode(), 0, module).record
    return records


def _docs(files: dict[str, str], path: str) -> str:
    records = _records(files)
    source = files[path]
    module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    extraction = extract_source(path, source.encode(), 0, module)
    links = Analysis(records).links(path)
    return render_docs_page(
        records[path], extraction.text, page_facts(extraction.tree), links, "..", 200_000
    )


def _dependencies(page: str) -> list[str]:
    section = page.split("## Dependencies", 1)[1].split("### Imported by", 1)[0]
    return [line for line in section.splitlines() if line.startswith("- ")]


def _count(page: str) -> int:
    return int(page.split("and imports from ", 1)[1].split(" module", 1)[0])


PKG = {
    "pkg/__init__.py": "",
    "pkg/hooks.py": "class Handle: ...\n",
    "pkg/utils.py": "def helper(): ...\n",
    "pkg/main.py": (
        "import weakref\n"  # 1
        "from typing import *\n"  # 2
        "import pkg\n"  # 3
        "from pkg import hooks\n"  # 4
        "import pkg.hooks as hk\n"  # 5
        "from pkg.hooks import Handle\n"  # 6
        "from .utils import helper\n"  # 7
        "from pkg.utils import helper as h2\n"  # 8
        "from weakref import ReferenceType\n"  # 9
        "from typing import NoReturn\n"  # 10
        "if NoReturn:\n"  # 11
        "    from typing import (\n"  # 12
        "        Any,\n"  # 13
        "    )\n"
    ),
}


def test_each_statement_is_shown_with_its_own_line_and_names() -> None:
    entries = _dependencies(_docs(PKG, "pkg/main.py"))
    assert "- `typing` (line 2): `*`; (line 10): `NoReturn`; (line 12): `Any`" in entries
    assert "- `weakref` (line 1); (line 9): `ReferenceType`" in entries
    hooks = next(e for e in entries if "(`pkg.hooks`)" in e)
    assert hooks.endswith("(line 5): as `hk`; (line 6): `Handle`")
    package = next(e for e in entries if "(`pkg`)" in e)
    assert package.endswith("(line 3); (line 4): `hooks`")


def test_one_entry_per_resolved_module_and_the_count_is_the_list() -> None:
    page = _docs(PKG, "pkg/main.py")
    entries = _dependencies(page)
    utils = [e for e in entries if "pkg/utils.py" in e]
    # ``.utils`` and ``pkg.utils``: one module.
    assert len(utils) == 1
    assert utils[0].endswith("(line 7): `helper`; (line 8): `helper as h2`")
    assert _count(page) == len(entries) == 5


def test_every_import_statement_makes_an_edge_even_a_rebound_name() -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/a/__init__.py": "",
        "pkg/a/config.py": "x = 1\n",
        "pkg/b/__init__.py": "",
        "pkg/b/config.py": "y = 1\n",
        "pkg/user.py": (
            "def one():\n    from pkg.a import config\n    return config.x\n\n"
            "def two():\n    from pkg.b import config\n    return config.y\n"
        ),
    }
    analysis = Analysis(_records(files))
    assert {"pkg/a/config.py", "pkg/b/config.py"} <= analysis.imports_of["pkg/user.py"]
    assert "pkg/user.py" in analysis.imported_by["pkg/b/config.py"]
    page = _docs(files, "pkg/user.py")
    assert any(
        "pkg/b/__init__.py" in e and e.endswith("(line 6): `config`") for e in _dependencies(page)
    )


def test_incremental_extraction_keeps_the_same_import_lines() -> None:
    source = PKG["pkg/main.py"]
    full = extract_source("pkg/main.py", source.encode(), 0, "pkg.main").record
    assert full.import_lines == [4, 9, 12]
    extractor = IncrementalExtractor("pkg/main.py", "pkg.main")
    extractor.extract(source.encode())
    edited = extractor.extract(source.replace("import weakref\n", "import weakref\n\n").encode())
    again = extract_source(
        "pkg/main.py",
        source.replace("import weakref\n", "import weakref\n\n").encode(),
        0,
        "pkg.main",
    ).record
    assert edited.import_lines == again.import_lines == [5, 10, 13]
    assert edited.keywords == again.keywords


def test_torch_checkpoint_and_graph_id_filter() -> None:
    paths = [
        "torch/__init__.py",
        "torch/utils/__init__.py",
        "torch/utils/checkpoint.py",
        "torch/_dynamo/__init__.py",
        "torch/_dynamo/config.py",
        "torch/_dynamo/graph_id_filter.py",
        "torch/_inductor/__init__.py",
        "torch/_inductor/config.py",
    ]
    files = {p: (TORCH / p).read_text() for p in paths}
    page = _docs(files, "torch/utils/checkpoint.py")
    entries = _dependencies(page)
    assert "- `typing` (line 11): `*`; (line 22): `NoReturn`" in entries
    assert "- `weakref` (line 9); (line 14): `ReferenceType`" in entries
    assert _count(page) == len(entries)
    analysis = Analysis(_records(files))
    assert "torch/_dynamo/graph_id_filter.py" in analysis.imported_by["torch/_dynamo/config.py"]
    assert "torch/_dynamo/graph_id_filter.py" in analysis.imported_by["torch/_inductor/config.py"]
