"""Bytes to text: BOMs, PEP 263 coding cookies, binary sniffing, line splitting."""

from __future__ import annotations

import codecs
import io
import tokenize

from kwdocs.model import Problem

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF = 8192
# Bytes that never appear in text files (controls other than tab, newlines, form feed, escape).
_NON_TEXT = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c\x1b\x08")


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark announces, if any."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def is_binary(data: bytes) -> bool:
    """True for content that is not text: NUL bytes among many control bytes, and no BOM."""
    if bom_encoding(data):
        return False
    sample = data[:_SNIFF]
    if b"\x00" not in sample:
        return False
    # A text file with a stray NUL is still text (and gets its problem reported); a real
    # binary is dense with control bytes. Compressed or encrypted data (git-crypt) is uniform
    # noise with 25 such bytes in 256 (9.8 %), so the bar sits well below that.
    controls = len(sample) - len(sample.translate(None, _NON_TEXT))
    return controls > len(sample) * 0.05


def decode(data: bytes, *, python: bool) -> tuple[str, str, list[Problem]]:
    """Decode a file's bytes: BOM first, then PEP 263 for Python, else UTF-8; never fails."""
    problems: list[Problem] = []
    encoding = bom_encoding(data)
    if encoding is None and python:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as error:  # unknown codec or a cookie that contradicts a BOM
            problems.append(Problem(f"encoding declaration: {error.msg}", error.lineno or 1))
            encoding = "utf-8"
    if encoding is None:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problems.append(
            Problem(
                f"undecodable bytes as {encoding} (first at byte {error.start}); shown as U+FFFD",
                line,
            )
        )
        text = data.decode(encoding, errors="replace")
    except LookupError:  # pragma: no cover - detect_encoding only returns known codecs
        text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding.removesuffix("-sig"), problems


def normalise_newlines(text: str) -> str:
    r"""Turn ``\r\n`` and lone ``\r`` into ``\n``: the line ends Python and LSP both count."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
