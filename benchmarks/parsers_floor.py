"""The parsers floor of a tree of many languages: every file kwdocs reads with a parser, parsed
with that same parser (``ast.parse`` for ``.py``/``.pyi``, the tree-sitter grammar of its
language for the C family, YAML, CMake and shell), in a process pool of all cores.

Run as ``python -m benchmarks.parsers_floor ROOT [--jobs N]``; prints JSON with the seconds, the
file counts by language and the parse failures. Listing the files is not timed; starting the
pool is (kwdocs pays for its own pool too). Files are handed out largest first in units of
about the same bytes, as kwdocs hands them out, so neither side waits for one big file at the
end."""

from __future__ import annotations

import argparse
import ast
import json
import os
import time
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kwdocs.extract.languages import GRAMMAR_MODULES, grammar_installed, native_language

_UNIT_BYTES = 192 * 1024
PYTHON = "python"


def language_of(path: str) -> str | None:
    """The parser a file is read with: ``python``, a grammar module name, or None (not parsed:
    Markdown, text)."""
    if path.endswith((".py", ".pyi")):
        return PYTHON
    native = native_language(path)
    if native is None or not grammar_installed(native):
        return None
    return GRAMMAR_MODULES[native]


_parsers: dict[str, object] = {}


def _parse(path: str, language: str) -> int:
    """Parse one file; 1 when the parser rejected it (``ast``) or recovered from errors."""
    with open(path, "rb") as f:
        data = f.read()
    if language == PYTHON:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(data)
        except (SyntaxError, ValueError):
            return 1
        return 0
    parser = _parsers.get(language)
    if parser is None:
        import importlib

        import tree_sitter

        module = importlib.import_module(f"tree_sitter_{language}")
        parser = _parsers[language] = tree_sitter.Parser(tree_sitter.Language(module.language()))
    tree = parser.parse(data)  # type: ignore[attr-defined]
    return int(tree.root_node.has_error)


def _parse_unit(unit: list[tuple[str, str]]) -> int:
    return sum(_parse(path, language) for path, language in unit)


def units(files: list[tuple[str, str, int]]) -> list[list[tuple[str, str]]]:
    """(path, language, size) → units of about ``_UNIT_BYTES``, largest files first."""
    out: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    weight = 0
    for path, language, size in sorted(files, key=lambda f: -f[2]):
        current.append((path, language))
        weight += size
        if weight >= _UNIT_BYTES:
            out.append(current)
            current, weight = [], 0
    if current:
        out.append(current)
    return out


def parse_all(files: list[tuple[str, str, int]], jobs: int) -> tuple[float, int]:
    """Seconds to parse ``files`` with ``jobs`` processes (1: in this process), and failures."""
    work = units(files)
    started = time.perf_counter()
    if jobs <= 1:
        errors = sum(_parse_unit(unit) for unit in work)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            errors = sum(pool.map(_parse_unit, work))
    return time.perf_counter() - started, errors


def list_files(root: Path) -> list[tuple[str, str, int]]:
    """Every file under ``root`` that a parser reads: (path, language, size)."""
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        language = language_of(str(path))
        if language is not None:
            found.append((str(path), language, path.stat().st_size))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    files = list_files(Path(args.root))
    seconds, errors = parse_all(files, args.jobs)
    counts = Counter(language for _, language, _ in files)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "files": len(files),
                "by_language": dict(sorted(counts.items())),
                "errors": errors,
                "jobs": args.jobs,
            }
        )
    )


if __name__ == "__main__":
    main()
