"""Columns between the client's position encoding (UTF-16 by default, UTF-8 or UTF-32 when
negotiated) and the code points FileRecord columns use; always computed from the line text."""

from __future__ import annotations

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


def _units_of(char: str, encoding: str) -> int:
    code = ord(char)
    if encoding == UTF8:
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    if encoding == UTF16:
        return 2 if code > 0xFFFF else 1
    return 1


def units_len(text: str, encoding: str) -> int:
    """Length of ``text`` in the encoding's code units."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def to_points(line: str, units: int, encoding: str) -> int:
    """Code point index of a client column on ``line``; past the end clamps to the end, and a
    column inside a character's units lands on that character."""
    if units <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return min(units, len(line))
    seen = 0
    for index, char in enumerate(line):
        seen += _units_of(char, encoding)
        if seen > units:
            return index
    return len(line)


def to_units(line: str, points: int, encoding: str) -> int:
    """Client column of a code point index on ``line`` (clamped to the line's length)."""
    points = max(0, min(points, len(line)))
    return units_len(line[:points], encoding)
