"""``kwdocs lookup``: a name (``FlatParamHandle``), a qualified name (``FlatParamHandle.unshard``)
or a dotted module path (``torch.distributed.fsdp.FullyShardedDataParallel``, followed through
re-exports) to its definitions, the same resolution hover and definition use; case-insensitive
when nothing matches exactly, with "did you mean" suggestions when nothing matches at all."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from kwdocs.index import KeywordIndex
from kwdocs.model import DEFINITION_KINDS, IMPORT_KINDS, Keyword, Kind
from kwdocs.resolve import resolve_dotted

_ANSWER_KINDS = DEFINITION_KINDS | {Kind.HEADING}
SUGGESTIONS = 5


class Match(enum.Enum):
    EXACT = "exact"
    DOTTED = "dotted"
    """Through module paths and re-exports."""
    CASE = "case-insensitive"


@dataclass(frozen=True)
class Found:
    path: str
    keyword: Keyword
    target: tuple[str, Keyword] | None = None
    """For an import: the definition it leads to, when it is in the workspace."""


@dataclass
class LookupResult:
    name: str
    found: list[Found] = field(default_factory=list)
    match: Match = Match.EXACT
    suggestions: list[str] = field(default_factory=list)
    """Names close to the one asked, when nothing matched."""


def lookup(index: KeywordIndex, name: str) -> LookupResult:
    """The definitions of ``name`` first, then the imports of it (each with where it leads)."""
    result = LookupResult(name)
    found = _exact(index, name)
    if not found and "." in name.strip("."):
        found = [Found(p, k) for p, k in resolve_dotted(index, name.split("."))]
        result.match = Match.DOTTED
    if not found:
        spelled = _case_variants(index, name)
        for variant in spelled:
            found += _exact(index, variant)
        result.match = Match.CASE
    if not found:
        result.match = Match.EXACT
        result.suggestions = _suggestions(index, name)
    result.found = found
    return result


def _exact(index: KeywordIndex, name: str) -> list[Found]:
    definitions: list[Found] = []
    imports: list[Found] = []
    for definition in index.lookup(name):
        keyword = definition.keyword
        if keyword.kind in _ANSWER_KINDS:
            definitions.append(Found(definition.path, keyword))
        elif keyword.kind in IMPORT_KINDS:
            targets = resolve_dotted(index, keyword.target.split("."), definition.path)
            imports.append(Found(definition.path, keyword, targets[0] if targets else None))
    return definitions + imports


def _case_variants(index: KeywordIndex, name: str) -> list[str]:
    """Names of the index spelled like ``name`` but for case."""
    lowered = name.lower()
    return sorted(n for n in index.symbol_names() if n.lower() == lowered and n != name)


def _suggestions(index: KeywordIndex, name: str) -> list[str]:
    from rapidfuzz import fuzz, process

    leaf = name.rpartition(".")[2] or name
    prefixed = [d.keyword.name for d in index.search(leaf, SUGGESTIONS)]
    choices = list(index.symbol_names())
    scored = process.extract(
        leaf, choices, scorer=fuzz.WRatio, limit=SUGGESTIONS * 2, score_cutoff=75
    )
    ordered = dict.fromkeys([*prefixed, *(choice for choice, _score, _i in scored)])
    return list(ordered)[:SUGGESTIONS]
