"""The peers benchmark (benchmarks/peers/): positions by kind of binding, location
normalisation, the consensus and its scores, and the harness for real — kwdocs and peer
servers over stdio on a small workspace, the cache of the peers' answers and the kwdocs-only
re-score, and the probe command. No timing is asserted (timings live in docs/benchmarks.md).

The servers come with the ``peers`` extra (``pip install -e '.[peers]'``); without it the
tests that start them are skipped."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the benchmarks package lives at the root, not in the wheel

from benchmarks.peers import bench  # noqa: E402
from benchmarks.peers import workspace as workspace_module  # noqa: E402
from benchmarks.peers.locations import Target, identifier_at, module_of  # noqa: E402
from benchmarks.peers.scoring import (  # noqa: E402
    Agreement,
    Consensus,
    HoverCheck,
    consensus,
    defined_in,
    hover_check_kwdocs,
    score,
)
from benchmarks.peers.servers import KWDOCS, PEERS, by_name  # noqa: E402
from benchmarks.positions import Category, categorised_identifiers  # noqa: E402

SHAPES = '''\
import os
from concurrent.futures import Future


def area(width: int, height: int) -> int:
    """Area of a rectangle."""
    total = width * height
    return total


class Box:
    """A cube."""

    def __init__(self, side: int) -> None:
        self.side = side

    def volume(self) -> int:
        label = f"{area(self.side, self.side)}"
        return len(label) + self.side


def run(box: Box) -> Future[int]:
    print(os.getcwd(), isinstance(box, Box))
    squares = [n * n for n in range(box.side)]
    return Future() if squares else Future()
'''

# Servers started for real in the harness tests: quick to start and to stop.
FAST = ("kwdocs", "ty", "zuban")


def _installed(name: str) -> bool:
    spec = next(s for s in (KWDOCS, *PEERS) if s.name == name)
    return spec.command() is not None and importlib.util.find_spec("psutil") is not None


needs_fast_peers = pytest.mark.skipif(
    not all(_installed(name) for name in FAST),
    reason="the peer servers are not installed: pip install -e '.[peers]'",
)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "shapes.py").write_text(SHAPES)
    return root


def _at(root: Path, path: str, line: int, name: str, nth: int = 0) -> tuple[int, int]:
    """(0-based line, column of the middle of the nth ``name`` on 1-based ``line``)."""
    text = (root / path).read_text().split("\n")[line - 1]
    column = -1
    for _ in range(nth + 1):
        column = text.index(name, column + 1)
    return line - 1, column + len(name) // 2


# ---- positions -----------------------------------------------------------------------------------


def test_positions_carry_the_kind_of_binding(workspace: Path) -> None:
    found = categorised_identifiers(workspace, "pkg/shapes.py")
    by_place = {(p.line + 1, p.name): p.category for p in found}
    expected = {
        (5, "area"): Category.DEFINITION,
        (11, "Box"): Category.DEFINITION,
        (7, "width"): Category.PARAMETER,
        (8, "total"): Category.LOCAL,
        (18, "area"): Category.FSTRING,
        (19, "len"): Category.BUILTIN,
        (19, "side"): Category.ATTRIBUTE,
        (22, "Future"): Category.STDLIB,
        (23, "os"): Category.STDLIB,
        (23, "getcwd"): Category.ATTRIBUTE,
        (23, "isinstance"): Category.BUILTIN,
        (23, "Box"): Category.GLOBAL,
        (24, "n"): Category.LOCAL,  # the comprehension's own variable
        (24, "box"): Category.PARAMETER,
    }
    for place, category in expected.items():
        assert by_place.get(place) == category.value, place
    # Parameter names at their def are not uses; positions sit inside the identifier.
    assert (5, "width") not in by_place
    for p in found:
        text = (workspace / p.path).read_text().split("\n")[p.line]
        assert text[p.character - len(p.name) // 2 :].startswith(p.name), p


def test_pick_is_deterministic_and_mixes_kinds(workspace: Path) -> None:
    settings = bench.Settings(positions=40, files=1, min_lines=1)
    first = bench.make_plan(workspace, settings)
    again = bench.make_plan(workspace, settings)
    assert first == again
    kinds = {p.category for p in first.positions}
    assert Category.DEFINITION.value in kinds
    assert {Category.BUILTIN.value, Category.FSTRING.value, Category.STDLIB.value} <= kinds
    assert first.first_hover.is_definition


# ---- locations and the consensus ---------------------------------------------------------------


def test_locations_outside_the_workspace_are_modules() -> None:
    cases = {
        "/x/site-packages/basedpyright/dist/typeshed-fallback/stdlib/builtins.pyi": "builtins",
        "/root/.cache/ty/vendored/typeshed/2e4d/stdlib/concurrent/futures/_base.pyi": (
            "concurrent.futures._base"
        ),
        "/tmp/pyrefly_bundled_typeshed_7ce17c8cd055/os/__init__.pyi": "os",
        "/lib/python3.11/concurrent/futures/_base.py": "concurrent.futures._base",
        "/x/site-packages/jedi/third_party/typeshed/stdlib/3/typing.pyi": "typing",
        "/x/site-packages/numpy-stubs/linalg/__init__.pyi": "numpy.linalg",
        "/x/site-packages/basedpyright/dist/typeshed-fallback/stubs/tqdm/tqdm/std.pyi": "tqdm.std",
        "/tmp/pyrefly_bundled_third_party_af97/sympy-stubs/core/expr.pyi": "sympy.core.expr",
    }
    for path, module in cases.items():
        assert module_of(Path(path)) == module, path


def test_a_workspace_inside_a_project_is_mirrored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    free = tmp_path / "free"
    free.mkdir()
    assert workspace_module.enclosing_project(free) is None
    assert workspace_module.neutral_root(free) == free

    project = tmp_path / "project"
    root = project / "corpus"
    (root / "pkg").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (root / "pkg" / "a.py").write_text("A = 1\n")
    monkeypatch.setattr(workspace_module, "MIRRORS", tmp_path / "mirrors")
    mirror = workspace_module.neutral_root(root)
    assert mirror.name == "corpus" and mirror.is_relative_to(tmp_path / "mirrors")
    assert workspace_module.enclosing_project(mirror) is None
    assert (mirror / "pkg" / "a.py").stat().st_ino == (root / "pkg" / "a.py").stat().st_ino
    (root / "pkg" / "b.py").write_text("B = 2\n")  # a new file: the mirror is rebuilt
    assert workspace_module.neutral_root(root) == mirror
    assert (mirror / "pkg" / "b.py").read_text() == "B = 2\n"


def test_identifier_at_skips_declaration_words() -> None:
    assert identifier_at("class Future(Generic[_T]):", 0) == "Future"
    assert identifier_at("    def result(self) -> _T: ...", 8) == "result"
    assert identifier_at("    self.weight = Parameter(", 4) == "self"
    assert identifier_at("class type:", 6) == "type"


def test_consensus_kinds_and_hover_check(workspace: Path) -> None:
    inside = Target(True, "pkg/shapes.py", 5, "area")
    also_inside = Target(True, "pkg/shapes.py", 5, "def")  # same line: the same target
    stub = Target(False, "builtins", 100, "len")
    assert consensus({"a": [inside], "b": [also_inside]}).kind is Consensus.AGREED
    assert consensus({"a": [], "b": []}).kind is Consensus.ALL_EMPTY
    assert consensus({"a": [inside], "b": [inside, stub]}).kind is Consensus.SPLIT

    reference = consensus({"a": [inside], "b": [inside]})
    right = "**function** `pkg.shapes.area`\n\nDefined in `pkg/shapes.py:5`"
    wrong = "**function** `other.area`\n\nDefined in `pkg/__init__.py:1`"
    assert defined_in(workspace, right) == Target(True, "pkg/shapes.py", 5, "area")
    assert hover_check_kwdocs(workspace, reference, right) is HoverCheck.RIGHT
    assert hover_check_kwdocs(workspace, reference, wrong) is HoverCheck.WRONG
    assert hover_check_kwdocs(workspace, reference, "") is HoverCheck.EMPTY

    scored = score(
        workspace,
        ["definition name", "builtin"],
        {"kwdocs": [[inside], []], "ty": [[inside], [stub]], "zuban": [[inside], [stub]]},
        {"kwdocs": [right, ""], "ty": ["def area", "def len"], "zuban": ["", "len"]},
        ["ty", "zuban", "pyrefly"],
    )
    assert scored.checkers == ["ty", "zuban"]  # pyrefly did not run
    assert scored.overall["kwdocs"].definition == {"same": 1, "empty": 1}
    assert scored.overall["kwdocs"].hover == {"right": 1, "empty": 1}
    assert scored.overall["zuban"].hover == {"empty": 1, "right": 1}
    assert scored.positions[1].definition["kwdocs"] is Agreement.EMPTY


# ---- the harness, for real -----------------------------------------------------------------------


@needs_fast_peers
def test_run_then_score_kwdocs_against_the_cache(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "RESULTS", tmp_path / "results")
    # More positions than the file has identifiers: every one of them is drawn.
    settings = bench.Settings(positions=200, files=1, queries=4, edits=1, min_lines=1)
    data = bench.run_all(workspace, tmp_path / "work", settings, list(FAST))

    plan = bench.make_plan(workspace, settings)
    assert len(plan.positions) == len(categorised_identifiers(workspace, "pkg/shapes.py"))
    runs = data["runs"]
    assert list(runs) == list(FAST)
    for name, run in runs.items():
        assert not run["error"], (name, run["error"])
        assert run["hover"]["count"] == run["definition"]["count"] == len(plan.positions), name
        assert run["first_hover_s"] and run["peak_mib"] and run["end_mib"], name
        assert run["edit"]["count"] == 1, name  # the edit was seen in the hover
    assert runs["ty"]["children_left"] == [] and runs["zuban"]["children_left"] == []
    assert data["checkers"] == ["ty", "zuban"]
    assert data["consensus"]["agreed"] >= 15
    assert "| kwdocs |" in data["side_by_side"] and "| ty 1." in data["side_by_side"]

    # The cache holds the peers' answers, and only theirs.
    cache = json.loads(Path(data["cache"]).read_text())
    assert sorted(cache["runs"]) == ["ty", "zuban"]
    cached = bench.load_cache(Path(data["cache"]))
    by_place = {
        (p.line, p.character): i for i, p in enumerate(plan.positions) if p.path == "pkg/shapes.py"
    }
    for (line, name, nth), expected in {
        (23, "isinstance", 0): "<builtins> isinstance",
        (18, "area", 0): "pkg/shapes.py:5 (area)",
        (22, "Future", 0): "<concurrent.futures._base> Future",
    }.items():
        index = by_place[_at(workspace, "pkg/shapes.py", line, name, nth)]
        for checker in ("ty", "zuban"):
            answers = [str(Target.from_json(t)) for t in cached[checker].answers[index].targets]
            assert expected in answers, (checker, name, answers)

    # kwdocs alone against the cache: the same positions, the same reference.
    again = bench.score_kwdocs(workspace, tmp_path / "work", settings, full=False)
    assert again["consensus"] == data["consensus"]
    assert again["kwdocs"]["hover"]["count"] == len(plan.positions)
    tally = again["agreement"]["kwdocs"]
    assert tally["definition"] is not None and 0 <= tally["definition"] <= 1
    # Every disagreement is listed with its source line and the consensus.
    listing = (tmp_path / "results" / "kwdocs-disagreements.txt").read_text()
    entries = [block for block in listing.split("\n\n") if block.strip()]
    agreed = again["consensus"]["agreed"]
    same = round(tally["definition"] * agreed)
    right = round(tally["hover"] * agreed)
    assert agreed - min(same, right) <= len(entries) <= 2 * agreed - same - right
    for block in entries:
        assert "consensus:" in block and "definition:" in block and "‸" in block


@needs_fast_peers
def test_probe_prints_every_server_on_a_snippet() -> None:
    snippet = "import os\n\n\ndef f(dtype: str) -> int:\n    return le<|>n(dty<|>pe)\n"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.peers", "probe", "--servers", *FAST],
        input=snippet,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    blocks = done.stdout.split("\n\n")
    assert blocks[0].startswith("snippet.py:5:14")
    assert "consensus" in blocks[0] and "<builtins> len" in blocks[0]
    assert "snippet.py:4 (dtype)" in blocks[1]
    for name in FAST:
        assert f"  {name} " in blocks[0], name


def test_unknown_server_names_are_refused() -> None:
    with pytest.raises(SystemExit):
        by_name(["kwdocs", "pylance"])
