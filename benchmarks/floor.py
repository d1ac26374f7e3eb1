"""The ast-parse floor: ``ast.parse`` of every Python file in a process pool of all cores.

Run as ``python -m benchmarks.floor ROOT [--jobs N]``; prints JSON. Listing the files is not
timed; starting the pool is (kwdocs pays for its own pool too)."""

from __future__ import annotations

import argparse
import ast
import json
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def parse_python(path: str) -> int:
    """Parse one file; 1 when ast rejected it (newer syntax than this interpreter, say)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
    except (SyntaxError, ValueError):
        return 1
    return 0


def parse_all(paths: list[str], jobs: int) -> tuple[float, int]:
    """Seconds to parse ``paths`` with ``jobs`` processes (1: in this process), and failures."""
    started = time.perf_counter()
    if jobs <= 1:
        errors = sum(parse_python(p) for p in paths)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            errors = sum(pool.map(parse_python, paths, chunksize=16))
    return time.perf_counter() - started, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    paths = sorted(str(p) for p in Path(args.root).rglob("*.py") if p.is_file())
    seconds, errors = parse_all(paths, args.jobs)
    print(
        json.dumps({"seconds": seconds, "files": len(paths), "errors": errors, "jobs": args.jobs})
    )


if __name__ == "__main__":
    main()
