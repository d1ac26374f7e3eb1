"""The in-memory keyword index of one workspace root. Knows nothing of LSP."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import msgspec

from kwdocs.model import DEFINITION_KINDS, FileRecord, Keyword
from kwdocs.modules import ModuleTable

# Where a kind ranks when several definitions share a name (lower first).
KIND_RANK = {
    "class": 0,
    "function": 1,
    "method": 2,
    "property": 2,
    "constant": 3,
    "variable": 4,
    "heading": 5,
    "module": 6,
    "import": 7,
    "identifier": 8,
}
# Inline code mentions in Markdown are not definitions: kept on their file's record for its
# pages, but not offered as answers to name look-ups.
_UNINDEXED_KINDS = frozenset({"identifier"})


class Definition(NamedTuple):
    """A keyword together with the file that holds it."""

    path: str
    keyword: Keyword


def _sort_key(definition: Definition) -> tuple[int, str, int]:
    return (KIND_RANK.get(definition.keyword.kind, 9), definition.path, definition.keyword.line)


# A keyword is referred to by one int: its record's id shifted left, plus its position in the
# record's keyword list. Ints, not objects: the tables are cheap to build, hold and persist.
CODE_SHIFT = 20
_SHIFT = CODE_SHIFT
_MASK = (1 << _SHIFT) - 1
_COMMON = 64  # names with this many definitions keep their sorted answer...
_COMMON_KEPT = 256  # ...up to this many names


class IndexTables(msgspec.Struct, array_like=True):
    """The name tables of an index over ``records`` (record ids are list positions): what the
    cache stores so a warm start does no per-keyword work."""

    records: list[FileRecord]
    names: dict[str, list[int]]
    """keyword name or qualname → codes (record position << 20 | keyword position)."""
    symbols: dict[str, int]
    """definition name → how many definitions carry it."""


def _keys(keyword: Keyword) -> tuple[str, ...]:
    name, qualname = keyword.name, keyword.qualname
    return (name,) if qualname == name else (name, qualname)


def _add_codes(
    names: dict[str, list[int]], symbols: dict[str, int], rid: int, keywords: list[Keyword]
) -> list[str]:
    """Enter one record's keywords into the name tables; the definition names it brings
    that no other record had. The hot loop of every index build: locals only."""
    get = names.get
    new: list[str] = []
    base = rid << _SHIFT
    for position, keyword in enumerate(keywords):
        kind = keyword.kind
        if kind in _UNINDEXED_KINDS:
            continue
        code = base | position
        name = keyword.name
        codes = get(name)
        if codes is None:
            names[name] = [code]
        else:
            codes.append(code)
        qualname = keyword.qualname
        if qualname != name:
            codes = get(qualname)
            if codes is None:
                names[qualname] = [code]
            else:
                codes.append(code)
        if kind in DEFINITION_KINDS:
            count = symbols.get(name)
            if count is None:
                symbols[name] = 1
                new.append(name)
            else:
                symbols[name] = count + 1
    return new


def build_tables(records: list[FileRecord]) -> IndexTables:
    """The name tables of ``records``, record ids being their positions in the list."""
    names: dict[str, list[int]] = {}
    symbols: dict[str, int] = {}
    for rid, record in enumerate(records):
        if len(record.keywords) > _MASK:
            raise ValueError(f"{record.path}: too many keywords to index")
        _add_codes(names, symbols, rid, record.keywords)
    return IndexTables(records, names, symbols)


class KeywordIndex:
    """keyword → definitions and path → record; replacing one file costs that file's size."""

    def __init__(self) -> None:
        self.records: dict[str, FileRecord] = {}
        self._ids: dict[str, int] = {}  # path → record id
        self._by_id: dict[int, FileRecord] = {}
        self._next_id = 0
        self._by_name: dict[str, list[int]] = {}
        self.modules = ModuleTable()
        """Module name → file of every Python file: the one module resolution."""
        self._symbol_names: dict[str, int] = {}  # definition name → how many define it
        self._sorted: list[tuple[str, str]] | None = None  # (lowercase, name), for prefix search
        # Names left in _sorted after their last definition went: re-saving a file takes its
        # names away and back, and moving ~40k list entries for each would cost milliseconds.
        self._dead: set[str] = set()
        self._blobs: _Blobs | None = None
        self._pending_added: set[str] | None = None  # names added while tables are built
        self.generation = 0
        """Bumped on every change: lets callers cache derived facts."""
        # Sorted answers for names with many definitions (``__init__``: ~2,700 in PyTorch),
        # asked again by every hover and definition on them: (generation, answer).
        self._common: dict[str, tuple[int, list[Definition]]] = {}

    @classmethod
    def from_tables(cls, tables: IndexTables) -> KeywordIndex:
        """An index over prebuilt tables (a warm start from the cache): no per-keyword work."""
        index = cls()
        records = tables.records
        index._by_id = dict(enumerate(records))
        index._ids = {record.path: rid for rid, record in enumerate(records)}
        index.records = {record.path: record for record in records}
        index._next_id = len(records)
        index._by_name = tables.names
        index._symbol_names = tables.symbols
        for record in records:
            index._add_module(record)
        index.generation = 1
        return index

    def tables(self) -> IndexTables | None:
        """This index's tables for the cache, when record ids are still list positions (an
        index built in one pass, nothing replaced); else None."""
        if self._next_id != len(self._by_id) or len(self._by_id) != len(self.records):
            return None
        return IndexTables(list(self._by_id.values()), self._by_name, self._symbol_names)

    # ---- changes -------------------------------------------------------------------------

    def update(self, record: FileRecord) -> None:
        """Add or replace one file's record."""
        path = record.path
        if path in self.records:
            self.remove(path)
        if len(record.keywords) > _MASK:
            record = msgspec.structs.replace(record, keywords=record.keywords[:_MASK])
        rid = self._next_id
        self._next_id += 1
        self.records[path] = record
        self._ids[path] = rid
        self._by_id[rid] = record
        for name in _add_codes(self._by_name, self._symbol_names, rid, record.keywords):
            self._symbol_added(name)
        self._add_module(record)
        self.generation += 1

    def _add_module(self, record: FileRecord) -> None:
        if record.module:
            self.modules.add(record.module, record.path)

    def remove(self, path: str) -> FileRecord | None:
        """Forget one file; returns its old record."""
        record = self.records.pop(path, None)
        if record is None:
            return None
        rid = self._ids.pop(path)
        del self._by_id[rid]
        keys: set[str] = set()
        for keyword in record.keywords:
            if keyword.kind in _UNINDEXED_KINDS:
                continue
            keys.update(_keys(keyword))
            if keyword.kind in DEFINITION_KINDS:
                self._drop_symbol(keyword.name)
        by_name = self._by_name
        for key in keys:
            codes = by_name.get(key)
            if codes is None:
                continue
            kept = [code for code in codes if code >> _SHIFT != rid]
            if kept:
                by_name[key] = kept
            else:
                del by_name[key]
        if record.module:
            self.modules.remove(record.module, path)
        self.generation += 1
        return record

    def _symbol_added(self, name: str) -> None:
        """Keep the search tables up to date with a definition name new to the index."""
        if self._pending_added is not None:
            self._pending_added.add(name)
        if self._sorted is not None:
            if name in self._dead:
                self._dead.discard(name)  # still listed (and in the blobs)
                return
            bisect.insort(self._sorted, (name.lower(), name))
            if self._blobs is not None:
                # The joined blobs stay; names added since are searched one by one.
                self._blobs.added.add(name)

    def _drop_symbol(self, name: str) -> None:
        count = self._symbol_names.get(name, 0)
        if count <= 1:
            self._symbol_names.pop(name, None)
            if self._sorted is not None:
                self._dead.add(name)
                if len(self._dead) > _MAX_DEAD:
                    live = self._symbol_names
                    self._sorted = [item for item in self._sorted if item[1] in live]
                    self._dead.clear()
        else:
            self._symbol_names[name] = count - 1

    # ---- look-ups ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.records)

    def keyword_count(self) -> int:
        return sum(len(r.keywords) for r in self.records.values())

    def get(self, path: str) -> FileRecord | None:
        return self.records.get(path)

    def lookup(self, name: str, kinds: Iterable[str] | None = None) -> list[Definition]:
        """Every keyword named ``name`` (plain or qualified), best kinds first. The list may
        be shared between callers: do not change it."""
        codes = self._by_name.get(name)
        if not codes:
            return []
        if kinds is None and len(codes) >= _COMMON:
            cached = self._common.get(name)
            if cached is not None and cached[0] == self.generation:
                return cached[1]
            found = self._decode(codes, None)
            if len(self._common) >= _COMMON_KEPT:
                self._common.clear()
            self._common[name] = (self.generation, found)
            return found
        return self._decode(codes, frozenset(kinds) if kinds is not None else None)

    def _decode(self, codes: list[int], wanted: frozenset[str] | None) -> list[Definition]:
        by_id = self._by_id
        found = []
        for code in codes:
            record = by_id.get(code >> _SHIFT)
            if record is None:
                continue
            try:
                keyword = record.keywords[code & _MASK]
            except IndexError:  # a damaged cache table: the name is simply not found there
                continue
            if wanted is None or keyword.kind in wanted:
                found.append(Definition(record.path, keyword))
        found.sort(key=_sort_key)
        return found

    def lookup_qualname(self, qualname: str) -> list[Definition]:
        """Keywords whose qualified name is exactly ``qualname``."""
        return [d for d in self.lookup(qualname) if d.keyword.qualname == qualname]

    def symbol_names(self) -> Iterable[str]:
        """Every name some definition of the index carries."""
        return self._symbol_names.keys()

    def definitions(self) -> Iterator[Definition]:
        """Every definition of the workspace (no imports, headings or identifiers)."""
        for path, record in self.records.items():
            for keyword in record.keywords:
                if keyword.kind in DEFINITION_KINDS:
                    yield Definition(path, keyword)

    def search(self, query: str, limit: int = 100) -> list[Definition]:
        """Definitions for symbol search: exact, prefix, substring, then fuzzy name matches."""
        names = self._match_names(query, limit)
        results: list[Definition] = []
        for name in names:
            defs = [d for d in self.lookup(name) if d.keyword.kind in DEFINITION_KINDS]
            results.extend(d for d in defs if d.keyword.name == name)
            if len(results) >= limit:
                break
        return results[:limit]

    def _match_names(self, query: str, limit: int) -> list[str]:
        """Symbol names for a query, best first: exact, prefix, camel-case/word initials,
        substring, and only when those find little, fuzzy matches of similar length."""
        if self._sorted is None:
            self._sorted = sorted((n.lower(), n) for n in self._symbol_names)
            self._blobs = None
            self._dead.clear()
        ordered = self._sorted
        live = self._symbol_names
        lowered = query.lower()
        if not lowered:
            return list(itertools.islice((n for _, n in ordered if n in live), limit))
        chosen: dict[str, None] = {}
        # Exact and prefix matches: a binary search, then a run of the sorted list.
        start = bisect.bisect_left(ordered, (lowered, ""))
        prefix: list[str] = []
        for low, name in itertools.islice(ordered, start, None):
            if not low.startswith(lowered):
                break
            if name not in live:
                continue
            prefix.append(name)
            if len(prefix) >= limit * 4:
                break
        prefix.sort(
            key=lambda n: (n != query, n.lower() != lowered, not n.startswith(query), len(n), n)
        )
        for name in prefix[:limit]:
            chosen[name] = None
        if len(chosen) >= limit:
            return list(chosen)
        blobs = self._search_blobs()
        # Camel-case and snake_case initials: "fph" or "FlaParHan" find FlatParamHandle.
        words = _words(query)
        initials = "".join(w[0] for w in words).lower() if len(words) > 1 else lowered
        if initials:
            camel: list[tuple[int, int, str]] = []
            # Each query word starts a word of the name, so the name holds every query word:
            # a C-speed test that spares most names the word split.
            needed = [w.lower() for w in words] if len(words) > 1 else []
            hits = _find_all(blobs.initials, initials, blobs.starts)
            found = [blobs.names[i] for i in hits if all(w in blobs.lows[i] for w in needed)]
            found += [n for n in blobs.added if initials in _initials(n)]
            for name in found:
                if name in chosen or name not in live:
                    continue
                if not _words_match(words, _words(name), initials):
                    continue
                camel.append((_initials(name).find(initials), len(name), name))
            camel.sort()
            for _, _, name in camel[: limit * 4]:
                chosen.setdefault(name, None)
                if len(chosen) >= limit:
                    return list(chosen)
        # Substrings: one C-speed scan of all names joined, not a Python loop over them.
        substrings = itertools.chain(
            (blobs.names[i] for i in _find_all(blobs.lower, lowered, blobs.starts)),
            sorted(n for n in blobs.added if lowered in n.lower()),
        )
        for name in substrings:
            if name in live:
                chosen.setdefault(name, None)
                if len(chosen) >= limit:
                    return list(chosen)
        # Fuzzy, the last resort (typos): few answers so far and none spelled as the query,
        # names of a similar length sharing the first letter, and a high score cutoff.
        exact = bool(prefix) and prefix[0].lower() == lowered
        if len(chosen) < 5 and len(lowered) >= 4 and not exact:
            slack = max(2, len(lowered) // 4)
            head = lowered[0]
            positions: list[int] = []
            for size in range(len(lowered) - slack, len(lowered) + slack + 1):
                positions += blobs.by_head_and_size.get((head, size), ())
            positions.sort()  # the names' alphabetical order: ties keep it
            names, lows = blobs.names, blobs.lows
            positions = [i for i in positions if names[i] in live]
            pool = [names[i] for i in positions]
            choices = [lows[i] for i in positions]
            added = sorted(
                n
                for n in blobs.added
                if n in live and n[:1].lower() == head and abs(len(n) - len(lowered)) <= slack
            )
            pool += added
            choices += [n.lower() for n in added]
            if pool:
                from rapidfuzz import fuzz, process

                matches = process.extract(
                    lowered,
                    choices,
                    scorer=fuzz.ratio,
                    limit=limit - len(chosen),
                    score_cutoff=80,
                )
                for _, _, j in matches:
                    chosen.setdefault(pool[j], None)
        return list(chosen)

    def _search_blobs(self) -> _Blobs:
        """All symbol names (and their initials) joined in one string each; rebuilt when many
        names were added since (removed names are filtered out at search time)."""
        if self._blobs is None or len(self._blobs.added) > _MAX_ADDED:
            self._blobs = _tables(self._sorted or [])
        return self._blobs

    def begin_search_build(self) -> list[str]:
        """The names to build search tables from in a worker thread (build_search_tables),
        then hand to install_search; names added meanwhile are remembered."""
        self._pending_added = set()
        return list(self._symbol_names)

    def install_search(self, ordered: list[tuple[str, str]], blobs: _Blobs) -> None:
        """Take tables built off the loop, brought up to date with the changes since."""
        live = self._symbol_names
        pending = self._pending_added or set()
        self._pending_added = None
        merged = [item for item in ordered if item[1] in live]
        for name in pending:
            if name in live:
                item = (name.lower(), name)
                i = bisect.bisect_left(merged, item)
                if i == len(merged) or merged[i] != item:
                    merged.insert(i, item)
                blobs.added.add(name)
        self._sorted = merged
        self._dead.clear()
        self._blobs = blobs


def build_search_tables(names: list[str]) -> tuple[list[tuple[str, str]], _Blobs]:
    """Sorted names and joined search tables; pure, so a worker thread can build them."""
    ordered = sorted((name.lower(), name) for name in names)
    return ordered, _tables(ordered)


def _tables(ordered: list[tuple[str, str]]) -> _Blobs:
    lows = [low for low, _ in ordered]
    starts = list(itertools.accumulate((len(low) + 1 for low in lows), initial=1))
    # Initials padded to their name's length, so one offset table serves both blobs.
    padded = (_initials(name).ljust(len(low))[: len(low)] for low, name in ordered)
    # Fuzzy matching only scores names sharing the first letter and of a similar length.
    by_head_and_size: dict[tuple[str, int], list[int]] = {}
    for i, low in enumerate(lows):
        by_head_and_size.setdefault((low[:1], len(low)), []).append(i)
    return _Blobs(
        "\n" + "\n".join(lows) + "\n",
        "\n" + "\n".join(padded) + "\n",
        starts[:-1],
        [name for _, name in ordered],
        lows,
        set(),
        by_head_and_size,
    )


class _Blobs(NamedTuple):
    lower: str
    initials: str
    starts: list[int]
    names: list[str]
    lows: list[str]
    added: set[str]
    by_head_and_size: dict[tuple[str, int], list[int]]


# Names added after the blobs were built are scanned one by one up to this many.
_MAX_ADDED = 2000
# Names no longer defined stay listed up to this many before the list is compacted.
_MAX_DEAD = 5000


_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def _words(name: str) -> list[str]:
    """The words of a camelCase, PascalCase or snake_case name."""
    return _WORD.findall(name)


def _initials(name: str) -> str:
    """Lowercase first letters of a name's words: FlatParamHandle → fph."""
    return "".join(w[0] for w in _WORD.findall(name)).lower()


def _words_match(query_words: list[str], name_words: list[str], initials: str) -> bool:
    """Each query word starts the name word it lines up with (a bare initials query matches
    by its letters alone)."""
    if len(query_words) <= 1:
        return True
    letters = "".join(w[0] for w in name_words).lower()
    at = letters.find(initials)
    if at < 0:
        return False
    for q, w in zip(query_words, name_words[at:], strict=False):
        if not w.lower().startswith(q.lower()):
            return False
    return True


def _find_all(blob: str, needle: str, starts: list[int], cap: int = 5000) -> Iterator[int]:
    """Indexes of the entries of a newline-joined blob that contain ``needle``, each once."""
    if not needle or "\n" in needle:
        return
    position = blob.find(needle)
    found = 0
    last = -1
    while position >= 0 and found < cap:
        entry = bisect.bisect_right(starts, position) - 1
        if entry != last and entry >= 0:
            yield entry
            found += 1
            last = entry
        # Skip to the next entry: one answer per name is enough.
        position = blob.find(needle, blob.find("\n", position) + 1)


def build_index(records: Iterable[FileRecord]) -> KeywordIndex:
    """An index holding ``records``."""
    index = KeywordIndex()
    for record in records:
        index.update(record)
    return index
