"""Questions every page answers the same way, from one place in the engine: a file's main
definition (its docs page's File Purpose and its line in the folder's index), what a module-level
alias (``f = mod.g``) stands for (a folder's public API), a summary past a docstring's Sphinx
signature line, and what the risky-call check recognises (pickle modules by another name)."""

from __future__ import annotations

import ast
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from export_support import export
from kwdocs.analyse import Analysis, main_definition
from kwdocs.extract import extract_source
from kwdocs.facts import page_facts
from kwdocs.render.docs_page import render_docs_page
from kwdocs.render.docstrings import summary_source
from kwdocs.resolve import alias_of, name_in_module

# ---------------------------------------------------------------------------------------------
# A file's main definition: one choice for every page


def _copy(torch_root: Path, root: Path, files: list[str]) -> None:
    """Copy torch's files into a workspace, with the packages above them (empty
    ``__init__.py`` where the file itself is not copied)."""
    for rel in files:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(torch_root / rel, target)
    for rel in files:
        folder = (root / rel).parent
        while folder != root:
            (folder / "__init__.py").touch(exist_ok=True)
            folder = folder.parent


def _purpose(page: str) -> str:
    return page.split("## File Purpose\n\n", 1)[1].split("\n\n", 1)[0]


def _index_line(index: str, name: str) -> str:
    return next(line for line in index.splitlines() if line.startswith(f"- [`{name}`]"))


_MAINS = {
    # file: the main definition both pages name (reviewers found the index and the docs page
    # naming different ones, or a 34-line helper, or "(no docstring)")
    # (Conv2d's and Adam's docstrings are assigned after the class: Cls.__doc__ = ...)
    "torch/nn/modules/conv.py": "Conv2d",
    "torch/autograd/function.py": "Function",
    "torch/optim/adam.py": "Adam",
    "torch/utils/checkpoint.py": "checkpoint",
}


def test_docs_page_and_folder_index_name_the_same_main_definition(
    torch_root: Path, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    _copy(torch_root, root, list(_MAINS))
    export(root)
    out = root / "docs" / "kwdocs"
    for rel, name in _MAINS.items():
        record = extract_source(rel, (root / rel).read_bytes()).record
        main = main_definition(record)
        assert main is not None and main.keyword.name == name and main.documented, rel
        folder, _, base = rel.rpartition("/")
        line = _index_line((out / folder / "index.md").read_text(encoding="utf-8"), base)
        assert f"its largest documented public {main.keyword.kind} `{name}`: " in line, rel
        purpose = _purpose((out / f"{rel}_docs.md").read_text(encoding="utf-8"))
        if "notes" in purpose.split(".", 1)[0] and "no notes" not in purpose:
            assert rel == "torch/utils/checkpoint.py"  # its notes say what it is for
            continue
        assert "(no docstring)" not in purpose, rel
        assert re.search(rf"is \[`{name}`\]\(\./{re.escape(base)}_docs\.md#", purpose), rel
        assert f"Its largest documented public {main.keyword.kind} " in purpose, rel
        # The same summary on both pages.
        assert purpose.rsplit("): ", 1)[1] == line.split(f"`{name}`: ", 1)[1], rel


def test_main_definition_prefers_all_then_documented_then_size() -> None:
    source = textwrap.dedent(
        '''
        __all__ = ["Small", "big"]

        class Huge:
            """Not exported."""
            a = 1
            b = 2
            c = 3
            d = 4

        class Small:
            """Exported and documented."""

        def big():
            x = 1
            y = 2
            return x + y
        '''
    )
    record = extract_source("m.py", source.encode()).record
    main = main_definition(record)
    assert main is not None
    assert (main.keyword.name, main.documented, main.exported) == ("Small", True, True)
    assert main.label() == "largest documented public class"
    # Nothing documented: the largest, said plainly.
    bare = extract_source("n.py", b"class A:\n    x = 1\n    y = 2\n\ndef b():\n    pass\n")
    main = main_definition(bare.record)
    assert main is not None and main.keyword.name == "A" and not main.documented
    analysis = Analysis({"n.py": bare.record})
    page = render_docs_page(
        bare.record, bare.text, page_facts(bare.tree), analysis.links("n.py"), "..", 200_000
    )
    purpose = _purpose(page)
    assert "(no docstring)" not in purpose
    assert "none of its public classes and functions has a docstring" in purpose
    assert "Its largest public class is [`A`]" in purpose


# ---------------------------------------------------------------------------------------------
# Aliases: ``f = mod.g`` stands for g


def test_public_api_follows_aliases_to_their_definitions(torch_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    data = "torch/utils/data"
    _copy(
        torch_root,
        root,
        [
            f"{data}/__init__.py",
            f"{data}/dataloader.py",
            f"{data}/_utils/__init__.py",
            f"{data}/_utils/collate.py",
            f"{data}/_utils/worker.py",
        ],
    )
    export(root)
    doc = (root / "docs" / "kwdocs" / data / "doc.md").read_text(encoding="utf-8")
    lines = {
        name: next(line for line in doc.splitlines() if f"[`{name}`]" in line)
        for name in ("default_collate", "default_convert", "get_worker_info")
    }
    for name, where in [
        ("default_collate", "_utils/collate.py"),
        ("default_convert", "_utils/collate.py"),
        ("get_worker_info", "_utils/worker.py"),
    ]:
        line = lines[name]
        assert line.startswith(f"- function [`{name}`](./{where}_docs.md#function-{name})"), line
        assert "dataloader.py" not in line
        assert line.split(": ", 1)[1]  # the function's summary


def test_alias_of_follows_only_names_bound_once() -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/impl.py": 'def real():\n    """The real one."""\n\nclass K:\n    def m(self): ...\n',
        "pkg/api.py": textwrap.dedent(
            """
                from . import impl
                from .impl import K

                direct = impl.real
                again = direct
                method = K.m
                twice = impl.real
                if impl:
                    twice = None
                try:
                    from .impl import missing
                except ImportError:
                    missing = impl.real
                loop = loop
                called = impl.real()
                """
        ),
    }
    index = Analysis({p: extract_source(p, t.encode()).record for p, t in files.items()})

    def followed(name: str) -> list[tuple[str, str]]:
        ((path, keyword),) = [
            (p, k) for p, k in name_in_module(index, "pkg/api.py", name) if k.kind == "variable"
        ]
        return [(p, k.qualname) for p, k in alias_of(index, path, keyword)]

    assert followed("direct") == [("pkg/impl.py", "real")]
    assert followed("again") == [("pkg/impl.py", "real")]  # an alias of an alias
    assert followed("method") == [("pkg/impl.py", "K.m")]
    assert followed("twice") == []  # assigned twice: depends on the path taken
    assert followed("loop") == []
    assert followed("called") == []  # a call's result is no alias
    record = index.records["pkg/api.py"]
    missing = [k for k in record.keywords if k.name == "missing" and k.kind == "variable"]
    assert missing and alias_of(index, "pkg/api.py", missing[0]) == []  # also imported


def test_alias_target_is_the_same_from_every_extractor() -> None:
    from kwdocs.extract.incremental import IncrementalExtractor

    source = "import m\nx = m.f\ny: int = m.g\nx = 2\nz = m.h\n"
    record = extract_source("a.py", source.encode()).record
    targets = {k.name: k.target for k in record.keywords if k.kind == "variable"}
    assert targets == {"x": "", "y": "m.g", "z": "m.h"}
    broken = extract_source("b.py", (source + "def broken(:\n").encode()).record
    assert broken.parser == "parso"
    assert {k.name: k.target for k in broken.keywords if k.kind == "variable"} == targets
    incremental = IncrementalExtractor("a.py")
    incremental.extract(source.replace("x = 2\n", "").encode())
    assert incremental.extract(source.encode()).keywords == record.keywords
    assert incremental.last == "incremental"


# ---------------------------------------------------------------------------------------------
# Summaries past a Sphinx signature line


def test_summary_skips_a_signature_override_line(torch_root: Path) -> None:
    path = torch_root / "torch" / "serialization.py"
    record = extract_source("torch/serialization.py", path.read_bytes()).record
    summaries = {k.name: k.summary for k in record.keywords if k.kind == "function"}
    assert summaries["save"] == "Saves an object to a disk file."
    assert summaries["load"] == "Loads an object saved with :func:`torch.save` from a file."


@pytest.mark.parametrize(
    ("docstring", "summary"),
    [
        ("f(a, b=1) -> int\n\nAdds things. More.", "Adds things."),
        ("f(a)\n\nAdds.", "Adds."),
        ("f(x) -> Tensor", "f(x) -> Tensor"),  # nothing else to say
        ("f(x) computes (y).\n\nMore.", "f(x) computes (y)."),  # prose, not a signature
        ("g(a)\n\nOther.", "g(a)"),  # another function's name
    ],
)
def test_summary_source_with_the_definitions_name(docstring: str, summary: str) -> None:
    assert summary_source(docstring, "f") == summary


# ---------------------------------------------------------------------------------------------
# Risky calls: what is checked, and pickle modules by another name


def test_unpickling_through_a_name_saying_pickle_is_flagged(torch_root: Path) -> None:
    source = textwrap.dedent(
        """
        import json
        from helpers import pickle_tools

        def load(f, pickle_module, unpickler, pickled):
            pickle_module.load(f)
            unpickler.load()
            json.load(f)
            pickle_tools.load(f)
            pickled.dump(f)
            return pickle_module.loads(b"")
        """
    )
    facts = page_facts(ast.parse(source))
    assert [(f.code, f.line) for f in facts.risks] == [("B301", 6), ("B301", 7), ("B301", 11)]
    record = extract_source(
        "torch/serialization.py", (torch_root / "torch" / "serialization.py").read_bytes()
    )
    found = [f for f in page_facts(record.tree).risks if "pickle_module.load" in f.message]
    assert len(found) == 9


def test_no_risky_calls_says_how_calls_were_recognised() -> None:
    extraction = extract_source("m.py", b"def f(x):\n    return x.load()\n")
    analysis = Analysis({"m.py": extraction.record})
    page = render_docs_page(
        extraction.record,
        extraction.text,
        page_facts(extraction.tree),
        analysis.links("m.py"),
        "..",
        200_000,
    )
    section = page.split("## Security & Safety\n\n", 1)[1].split("\n\n", 1)[0]
    assert section.startswith("No risky calls found. Checked: calls named after bandit's checks")
    assert "recognised by the name they are called by" in section
    assert "are not recognised" in section
