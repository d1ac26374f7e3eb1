"""Calls and callers: the engine places written calls through imports, re-exports, star imports,
workspace base classes, ``super()`` and nested functions, counts what it cannot place; a page
is written again when a file it shows calls or callers of changes, and only then."""

from __future__ import annotations

import json
from pathlib import Path

from export_support import export
from kwdocs.analyse import Analysis
from kwdocs.calls import CallGraph
from kwdocs.config import load_settings
from kwdocs.discover import MANIFEST_NAME
from kwdocs.pipeline import RecordCollector, run_pipeline

WORKSPACE = {
    "pkg/__init__.py": "from .base import Base, helper\nfrom .shapes import *\n",
    "pkg/base.py": (
        "class Base:\n"
        "    def check(self):\n"
        "        return True\n"
        "\n"
        "    def area(self):\n"
        "        raise NotImplementedError\n"
        "\n"
        "\n"
        "def helper(x):\n"
        "    return abs(x)\n"
    ),
    "pkg/shapes.py": (
        "import os\n"
        "from pkg import helper\n"
        "from .base import Base\n"
        "\n"
        "__all__ = ['Square']\n"
        "\n"
        "\n"
        "class Square(Base):\n"
        "    def area(self, side):\n"
        "        self.check()\n"
        "        super().area()\n"
        "        side.grow()\n"
        "        return helper(side) + len(os.sep)\n"
        "\n"
        "    def make(self):\n"
        "        from . import base as b\n"
        "\n"
        "        def inner():\n"
        "            return Square()\n"
        "\n"
        "        b.helper(1)\n"
        "        return inner()\n"
    ),
    "pkg/use.py": (
        "import pkg\n"
        "from pkg import Square\n"
        "\n"
        "\n"
        "def main():\n"
        "    pkg.helper(2)\n"
        "    return Square().area(3)\n"
    ),
    "pkg/other.py": "def alone():\n    return 1\n",
}


def build(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def graph_of(root: Path) -> CallGraph:
    collector = RecordCollector(None)
    run_pipeline(load_settings(root), collector, facts=True)
    return Analysis(collector.records).calls


def placed(graph: CallGraph, path: str) -> dict[str, tuple[list[str], int, int]]:
    return {
        f.qualname: ([f"{c.path}:{c.qualname}" for c in f.callees], f.outside, f.unresolved)
        for f in graph.calls_of(path)
    }


def test_calls_are_placed_through_the_engine(tmp_path: Path) -> None:
    build(tmp_path, WORKSPACE)
    graph = graph_of(tmp_path)
    assert graph.complete
    shapes = placed(graph, "pkg/shapes.py")
    assert shapes["Square.area"] == (
        # self.check through the workspace base; super().area; helper through a re-export.
        ["pkg/base.py:Base.check", "pkg/base.py:Base.area", "pkg/base.py:helper"],
        1,  # len (os.sep is no call)
        1,  # side.grow(): a parameter's
    )
    # An import inside the function, a function nested in it, the class itself.
    assert shapes["Square.make"] == (
        ["pkg/base.py:helper", "pkg/shapes.py:Square.make.inner"],
        0,
        0,
    )
    assert shapes["Square.make.inner"] == (["pkg/shapes.py:Square"], 0, 0)
    # ``pkg.helper`` through the package's re-export; ``Square`` through a star import.
    assert placed(graph, "pkg/use.py")["main"] == (
        ["pkg/base.py:helper", "pkg/shapes.py:Square"],
        0,
        1,  # Square().area(3): on a call's result
    )
    assert placed(graph, "pkg/base.py")["helper"] == ([], 1, 0)
    callers = {
        qualname: sorted(f"{c.path}:{c.qualname}" for c in found)
        for (qualname, _line), found in graph.callers_of("pkg/base.py").items()
    }
    assert callers == {
        "Base.check": ["pkg/shapes.py:Square.area"],
        "Base.area": ["pkg/shapes.py:Square.area"],
        "helper": ["pkg/shapes.py:Square.area", "pkg/shapes.py:Square.make", "pkg/use.py:main"],
    }


def test_a_nested_function_deleted_after_its_call_is_still_its_callee(tmp_path: Path) -> None:
    # torch's Module.load_state_dict: ``def load(...)``, ``load(self, state_dict)``,
    # ``del load``. ``del`` binds the name to nothing another call could land on.
    build(
        tmp_path,
        {
            "m.py": (
                "def outer(x):\n"
                "    def load(y):\n"
                "        return load(y - 1) if y else 0\n"
                "\n"
                "    load(x)\n"
                "    del load\n"
            )
        },
    )
    calls = placed(graph_of(tmp_path), "m.py")
    assert calls["outer"] == (["m.py:outer.load"], 0, 0)
    assert calls["outer.load"] == (["m.py:outer.load"], 0, 0)


def test_related_files_with_more_calls_rank_higher_past_the_cap(tmp_path: Path) -> None:
    from kwdocs.analyse import Analysis

    def callers(count: int) -> str:
        return "from lib import f\n" + "".join(
            f"\n\ndef g{n}():\n    return f()\n" for n in range(count)
        )

    # Both call lib.f more than 20 times; the one with more calls comes later by name.
    build(
        tmp_path, {"lib.py": "def f():\n    return 1\n", "a.py": callers(22), "b.py": callers(25)}
    )
    collector = RecordCollector(None)
    run_pipeline(load_settings(tmp_path), collector, facts=True)
    related = Analysis(collector.records).related("lib.py")
    assert [(r.path, r.calls) for r in related[:2]] == [("b.py", 25), ("a.py", 22)]


def _fingerprints(out: Path) -> dict[str, str]:
    pages = json.loads((out / MANIFEST_NAME).read_text())["pages"]
    return {page: entry["fp"] for page, entry in pages.items()}


def test_a_page_is_rewritten_when_a_file_it_shows_calls_of_changes_and_only_then(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ws"
    build(root, WORKSPACE)
    out = tmp_path / "out"
    first = export(root, out)
    assert first.written > 0
    before = _fingerprints(out)
    docs = "pkg/base.py_docs.md"
    text = (out / docs).read_text()
    assert "use.py_docs.md#function-main" in text  # main calls helper: base.py shows it

    # A file nothing on base.py's page comes from: base.py's page stays.
    (root / "pkg" / "other.py").write_text("def alone():\n    return 2\n", encoding="utf-8")
    export(root, out)
    after = _fingerprints(out)
    assert after[docs] == before[docs]
    assert after["pkg/other.py_docs.md"] != before["pkg/other.py_docs.md"]

    # A caller it shows moves down a line: its name and anchor stay, and so does the page
    # (a link names no line).
    use = (root / "pkg" / "use.py").read_text()
    (root / "pkg" / "use.py").write_text("# moved down\n" + use, encoding="utf-8")
    shown = (out / docs).read_bytes()
    export(root, out)
    moved = _fingerprints(out)
    assert moved[docs] == after[docs]
    assert (out / docs).read_bytes() == shown
    assert moved["pkg/use.py_docs.md"] != after["pkg/use.py_docs.md"]

    # A caller it shows is renamed (its anchor changes): base.py's page is written again...
    (root / "pkg" / "use.py").write_text(
        "# moved down\n" + use.replace("def main", "def entry"), encoding="utf-8"
    )
    export(root, out)
    renamed = _fingerprints(out)
    assert renamed[docs] != moved[docs]
    assert "use.py_docs.md#function-entry" in (out / docs).read_text()
    # ... and other.py's, which shows nothing of use.py, is not.
    assert renamed["pkg/other.py_docs.md"] == moved["pkg/other.py_docs.md"]
    moved = renamed

    # other.py starts calling helper: base.py's page shows a new caller.
    (root / "pkg" / "other.py").write_text(
        "from pkg.base import helper\n\n\ndef alone():\n    return helper(2)\n", encoding="utf-8"
    )
    export(root, out)
    called = _fingerprints(out)
    assert called[docs] != moved[docs]
    assert "other.py_docs.md#function-alone" in (out / docs).read_text()
    # Nothing changed since: nothing is written.
    again = export(root, out)
    assert again.written == 0
