"""One server's run over the benchmark's plan: first hover from spawn, hover and definition at
every position (latency and answer), workspace/symbol, edit → hover, memory of its process
tree, and the processes it leaves behind."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.lsp_client import hover_text
from benchmarks.peers.locations import from_definition
from benchmarks.peers.servers import KWDOCS, ServerSpec
from benchmarks.peers.session import ServerSession
from benchmarks.positions import Position
from benchmarks.stats import distribution, load_average

HOVER_CHARS = 1500  # hovers are kept this long in the results (docstrings can be pages)
REQUEST_TIMEOUT_S = 60.0
MAX_TIMEOUTS = 5  # a server that times out this often is given up
EDIT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Plan:
    """What every server is asked, in the same order."""

    positions: list[Position]
    queries: list[tuple[str, str]]
    first_hover: Position
    edit_path: str | None
    edits: int


@dataclass
class PositionAnswer:
    """A server's answers at one position."""

    hover_s: float | None
    definition_s: float | None
    hover: str
    targets: list[list[Any]]  # Target.as_json() of each
    error: str = ""


@dataclass
class ServerRun:
    """Everything measured for one server."""

    server: str
    label: str
    version: str | None
    load: float
    first_hover_s: float | None = None
    ready_s: float | None = None
    hover: dict[str, Any] = field(default_factory=dict)
    definition: dict[str, Any] = field(default_factory=dict)
    symbol: dict[str, Any] = field(default_factory=dict)
    edit: dict[str, Any] = field(default_factory=dict)
    peak_mib: float | None = None
    end_mib: float | None = None
    children_at_end: int | None = None
    children_left: list[str] = field(default_factory=list)
    answers: list[PositionAnswer] = field(default_factory=list)
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerRun:
        answers = [PositionAnswer(**a) for a in data.get("answers", [])]
        return cls(**{**data, "answers": answers})


class _GiveUp(Exception):
    """The server stopped answering."""


async def measure(
    spec: ServerSpec,
    root: Path,
    scratch: Path,
    plan: Plan,
    say: Callable[[str], None],
    kwdocs_cache: Path | None = None,
    with_extras: bool = True,
) -> ServerRun:
    """Run ``plan`` against one fresh server process. ``with_extras`` False leaves out
    workspace/symbol and edit → hover (the quick kwdocs re-score)."""
    run = ServerRun(spec.name, spec.label, spec.version(), load_average())
    session = ServerSession(spec, root, scratch / spec.name, kwdocs_cache)
    timeouts = 0

    async def timed(request: Any, *args: Any) -> tuple[float | None, Any, str]:
        nonlocal timeouts
        try:
            seconds, result = await asyncio.wait_for(request(*args), REQUEST_TIMEOUT_S)
            return seconds, result, ""
        except asyncio.TimeoutError:
            timeouts += 1
            if timeouts >= MAX_TIMEOUTS:
                raise _GiveUp(
                    f"{timeouts} requests unanswered after {REQUEST_TIMEOUT_S:.0f} s"
                ) from None
            return None, None, "timeout"
        except ConnectionError:
            raise
        except Exception as error:  # an error reply: recorded at its position
            return None, None, f"{type(error).__name__}: {error}"[:300]

    try:
        say(f"{spec.label}: start, first hover")
        await session.start()
        target = plan.first_hover
        await session.open(target.path)
        deadline = time.perf_counter() + 600
        run.first_hover_s = await session.first_hover(
            target.path, target.line, target.character, deadline
        )
        run.ready_s = await session.wait_ready()
        for path in sorted({p.path for p in plan.positions} - {target.path}):
            await session.open(path)
        await asyncio.sleep(1.0)
        await session.wait_ready()  # open files may start more background work
        for p in plan.positions[:20]:  # warm-up: lazy imports, first-use caches
            await timed(session.hover, p.path, p.line, p.character)
            await timed(session.definition, p.path, p.line, p.character)

        say(f"{spec.label}: hover and definition at {len(plan.positions)} positions")
        hover_s: list[float] = []
        definition_s: list[float] = []
        for p in plan.positions:
            h_s, hovered, h_error = await timed(session.hover, p.path, p.line, p.character)
            d_s, found, d_error = await timed(session.definition, p.path, p.line, p.character)
            if h_s is not None:
                hover_s.append(h_s)
            if d_s is not None:
                definition_s.append(d_s)
            run.answers.append(
                PositionAnswer(
                    h_s,
                    d_s,
                    # kwdocs's hover is kept whole: its "Defined in" line is scored.
                    hover_text(hovered)[: None if spec is KWDOCS else HOVER_CHARS],
                    [t.as_json() for t in from_definition(root, found)],
                    "; ".join(e for e in (h_error, d_error) if e),
                )
            )
        run.hover = {**distribution(hover_s), "empty": sum(not a.hover for a in run.answers)}
        run.definition = {
            **distribution(definition_s),
            "empty": sum(not a.targets for a in run.answers),
        }
        if with_extras:
            say(f"{spec.label}: workspace/symbol × {len(plan.queries)}")
            symbol_s: list[float] = []
            for _, query in plan.queries:
                seconds, _, _ = await timed(session.symbol, query)
                if seconds is not None:
                    symbol_s.append(seconds)
            run.symbol = distribution(symbol_s)
            if plan.edit_path is not None and plan.edits:
                say(f"{spec.label}: edit → hover × {plan.edits}")
                run.edit = await _edit_hover(session, plan.edit_path, plan.edits)
        run.end_mib = session.tree_mib()
        session.peak_mib = max(session.peak_mib, run.end_mib)
    except (_GiveUp, ConnectionError, RuntimeError, asyncio.TimeoutError) as error:
        run.error = f"{type(error).__name__}: {error}"
        say(f"{spec.label}: {run.error}")
    finally:
        run.peak_mib = session.peak_mib or None
        run.children_at_end = len(session.descendants())
        if session.client.proc is not None:
            leftovers = await session.stop(linger_s=3.0)
            run.children_left = leftovers.alive
            session.kill_leftovers(leftovers)
    return run


async def _edit_hover(session: ServerSession, path: str, edits: int) -> dict[str, Any]:
    """Append a function with a new docstring to the open file (unsaved) and time until the
    hover on its name shows that docstring; an edit not shown within EDIT_TIMEOUT_S counts as
    a timeout and ends the series."""
    text = session.texts.get(path) or await session.open(path)
    await asyncio.sleep(1.0)
    lines = text.split("\n")
    samples: list[float] = []
    timeouts = 0
    for i in range(edits):
        insert_at = len(lines) - 1  # the empty string after the final newline
        name = f"kwbench_probe_{i}"
        new = f'def {name}():\n    """Probe {i} summary."""\n'
        sent = time.perf_counter()
        await session.insert(path, insert_at, new)
        lines[insert_at:insert_at] = new.split("\n")[:-1]
        shown = False
        while time.perf_counter() - sent < EDIT_TIMEOUT_S:
            try:
                _, result = await asyncio.wait_for(session.hover(path, insert_at, 6), 30)
            except Exception:  # a busy server may refuse: ask again
                result = None
            if f"Probe {i}" in hover_text(result):
                samples.append(time.perf_counter() - sent)
                shown = True
                break
            await asyncio.sleep(0.005)
        if not shown:
            timeouts += 1
            break
        await asyncio.sleep(0.3)
    return {**distribution(samples), "timeouts": timeouts, "file": path, "samples": samples}
