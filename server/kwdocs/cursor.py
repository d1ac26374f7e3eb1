"""The word under the cursor: the name at a position of a line, with the dotted names before
it (``a.b.c``), and whether the position lies inside a string literal. Pure text functions."""

from __future__ import annotations

from dataclasses import dataclass


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


@dataclass(frozen=True)
class Word:
    """The name under the cursor and the dotted names before it (``a.b.c`` → a, b, c)."""

    segments: tuple[str, ...]
    start: int
    """Code point column where the last segment starts."""
    end: int
    attribute: bool = False
    """The chain follows something that is not a name (``f().x``, ``"s".join``)."""

    @property
    def name(self) -> str:
        return self.segments[-1]


def word_at(line: str, col: int) -> Word | None:
    """The word at (or just before) code point ``col`` of ``line``, or None."""
    size = len(line)
    if col < 0 or col > size:
        return None
    if col < size and _is_word(line[col]):
        pos = col
    elif col > 0 and _is_word(line[col - 1]):
        pos = col - 1
    else:
        return None
    start = pos
    while start > 0 and _is_word(line[start - 1]):
        start -= 1
    end = pos + 1
    while end < size and _is_word(line[end]):
        end += 1
    word = line[start:end]
    if word[0].isdigit():
        return None
    segments = [word]
    i = start
    attribute = False
    while i > 0 and line[i - 1] == ".":
        j = i - 1
        k = j
        while k > 0 and _is_word(line[k - 1]):
            k -= 1
        part = line[k:j]
        if not part or part[0].isdigit():
            attribute = True
            break
        segments.insert(0, part)
        i = k
    return Word(tuple(segments), start, end, attribute)


def in_string(line: str, col: int) -> bool:
    """True when code point ``col`` of a Python line lies inside a string literal that opens
    on that line (words in strings are data, not names) — but not inside a replacement field
    of an f-string (``f"{name}"``), which is code."""
    return _string_state(line, col)


def _string_state(line: str, col: int) -> bool:
    # A stack of open strings: (quote, is an f-string, replacement-field depth when opened).
    strings: list[tuple[str, bool]] = []
    depth: list[int] = []  # open braces of each f-string's replacement fields
    i = 0
    size = len(line)
    while i < size and i <= col:
        char = line[i]
        inside = strings and (not depth or depth[-1] == 0)
        if inside:
            quote, formatted = strings[-1]
            if char == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                if i + len(quote) > col:
                    return True
                i += len(quote)
                strings.pop()
                depth.pop()
                continue
            if formatted and char == "{":
                if line.startswith("{{", i):
                    i += 2
                    continue
                depth[-1] = 1  # a replacement field: code from here
            i += 1
            continue
        # Code (at top level, or in an f-string's replacement field).
        if char == "#" and not strings:
            return False
        if strings and char in "{}":
            depth[-1] += 1 if char == "{" else -1
            i += 1
            continue
        if char in "'\"":
            start = i
            while start > 0 and line[start - 1].isalpha():
                start -= 1
            prefix = line[start:i].lower()
            quote = line[i : i + 3] if line.startswith(char * 3, i) else char
            strings.append((quote, "f" in prefix and len(prefix) <= 2))
            depth.append(0)
            i += len(quote)
            continue
        i += 1
    return bool(strings) and (not depth or depth[-1] == 0)


def chain_start(word: Word) -> int:
    """Code point column where the first segment of a dotted word starts."""
    return word.start - sum(len(s) + 1 for s in word.segments[:-1])
