"""The type checkers' consensus at each position, and how a server's answers score against
it: definition agreement, and whether its hover describes the symbol at the cursor."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.peers.locations import Target, from_path_line, keys


class Consensus(str, enum.Enum):
    """What the type checkers that ran say together at one position."""

    AGREED = "agreed"  # every checker gave the same non-empty set of targets
    ALL_EMPTY = "all-empty"  # every checker answered nothing: left out of the scores
    SPLIT = "split"  # they differ: no reference, left out of the scores


@dataclass(frozen=True)
class Reference:
    """The consensus at one position: its kind and, when agreed, the targets."""

    kind: Consensus
    targets: tuple[Target, ...] = ()


def consensus(answers: dict[str, list[Target]]) -> Reference:
    """``answers``: checker name → its normalised definition targets (every checker that ran)."""
    if not answers:
        return Reference(Consensus.SPLIT)
    sets = {keys(targets) for targets in answers.values()}
    if len(sets) > 1:
        return Reference(Consensus.SPLIT)
    (agreed,) = sets
    if not agreed:
        return Reference(Consensus.ALL_EMPTY)
    # One target per key (basedpyright gives a stub and its source: the same key).
    shown: dict[tuple[str, str], Target] = {}
    for target in next(iter(answers.values())):
        shown.setdefault(target.key, target)
    return Reference(Consensus.AGREED, tuple(shown.values()))


class Agreement(str, enum.Enum):
    """A server's definition at an agreed position."""

    SAME = "same"
    EMPTY = "empty"  # answered nothing
    DIFFERENT = "different"  # answered something else (or more, or less)


def agreement(reference: Reference, targets: list[Target]) -> Agreement:
    if not targets:
        return Agreement.EMPTY
    return Agreement.SAME if keys(targets) == keys(list(reference.targets)) else Agreement.DIFFERENT


# kwdocs's hover names where the symbol it describes is defined: "Defined in `path:line`".
_DEFINED_IN = re.compile(r"Defined in `?([^`\n]+?):(\d+)`?\s*$", re.MULTILINE)


def defined_in(root: Path, hover: str) -> Target | None:
    """The location kwdocs's hover gives for the symbol it describes."""
    found = _DEFINED_IN.search(hover)
    if found is None:
        return None
    return from_path_line(root, found.group(1), int(found.group(2)))


class HoverCheck(str, enum.Enum):
    """Whether a hover describes the symbol at the cursor (at an agreed position)."""

    RIGHT = "right"
    WRONG = "wrong"
    EMPTY = "empty"


def hover_check_kwdocs(root: Path, reference: Reference, hover: str) -> HoverCheck:
    """kwdocs: its "Defined in" location is one of the consensus targets."""
    if not hover.strip():
        return HoverCheck.EMPTY
    where = defined_in(root, hover)
    if where is None:
        return HoverCheck.WRONG
    agreed = keys(list(reference.targets))
    return HoverCheck.RIGHT if where.key in agreed else HoverCheck.WRONG


def hover_check_peer(reference: Reference, hover: str, targets: list[Target]) -> HoverCheck:
    """A peer's hover says no location, so: a non-empty hover at a position where the same
    server's definition is the consensus. Each of these servers computes hover and definition
    from one resolution of the cursor, so a right definition means the hover is about the
    right symbol; an empty hover, or a hover beside a wrong definition, counts against it."""
    if not hover.strip():
        return HoverCheck.EMPTY
    if agreement(reference, targets) is Agreement.SAME:
        return HoverCheck.RIGHT
    return HoverCheck.WRONG


@dataclass
class Tally:
    """Counts of one server over the agreed positions."""

    positions: int = 0
    definition: dict[str, int] = field(default_factory=dict)
    hover: dict[str, int] = field(default_factory=dict)
    split: int = 0
    """Split positions seen (the checkers differ)."""
    split_like_one: int = 0
    """Split positions where this server's definition equals one of the checkers' answers."""

    def add(self, definition: Agreement, hover: HoverCheck | None) -> None:
        self.positions += 1
        self.definition[definition.value] = self.definition.get(definition.value, 0) + 1
        if hover is not None:
            self.hover[hover.value] = self.hover.get(hover.value, 0) + 1

    def share(self, table: dict[str, int], value: str) -> float | None:
        total = sum(table.values())
        return table.get(value, 0) / total if total else None


@dataclass
class PositionScore:
    """The reference at one position and each scored server's verdicts there."""

    reference: Reference
    definition: dict[str, Agreement] = field(default_factory=dict)
    hover: dict[str, HoverCheck] = field(default_factory=dict)


@dataclass
class Score:
    """Every position's reference and verdicts; tallies overall and per category."""

    checkers: list[str]
    positions: list[PositionScore]
    overall: dict[str, Tally]
    by_category: dict[str, dict[str, Tally]]

    def count(self, kind: Consensus) -> int:
        return sum(1 for p in self.positions if p.reference.kind is kind)


def score(
    root: Path,
    categories: list[str],
    targets: dict[str, list[list[Target]]],
    hovers: dict[str, list[str]],
    checkers: list[str],
    subject: str = "kwdocs",
) -> Score:
    """Score every server of ``targets`` (name → per-position targets) against the consensus
    of ``checkers`` (those of them present). ``subject``'s hover is checked by its "Defined in"
    line, the others' by their definition (see hover_check_peer)."""
    present = [name for name in checkers if name in targets]
    overall = {name: Tally() for name in targets}
    by_category: dict[str, dict[str, Tally]] = {}
    positions: list[PositionScore] = []
    for i, category in enumerate(categories):
        answers_here = {name: targets[name][i] for name in present}
        reference = consensus(answers_here)
        scored = PositionScore(reference)
        positions.append(scored)
        if reference.kind is Consensus.SPLIT:
            for name, answers in targets.items():
                overall[name].split += 1
                overall[name].split_like_one += any(
                    keys(answers[i]) == keys(theirs)
                    for checker, theirs in answers_here.items()
                    if checker != name
                )
        if reference.kind is not Consensus.AGREED:
            continue
        for name, answers in targets.items():
            verdict = agreement(reference, answers[i])
            hover = hovers.get(name, [""] * len(categories))[i]
            if name == subject:
                check = hover_check_kwdocs(root, reference, hover)
            else:
                check = hover_check_peer(reference, hover, answers[i])
            scored.definition[name] = verdict
            scored.hover[name] = check
            overall[name].add(verdict, check)
            by_category.setdefault(category, {}).setdefault(name, Tally()).add(verdict, check)
    return Score(present, positions, overall, by_category)
