"""The ``kwdocs`` command line: export, index, lookup, serve.

Imports are lazy: ``kwdocs serve`` must answer ``initialize`` fast, and ``kwdocs --help`` should
not pay for the language server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kwdocs import __version__


class UsageError(Exception):
    """A bad ROOT, DIR or setting: reported on one line, exit status 2."""


def _settings(args: argparse.Namespace, root: str) -> Any:
    from kwdocs.config import SettingsError, load_settings

    root_path = Path(root)
    if not root_path.exists():
        raise UsageError(f"ROOT does not exist: {root}")
    if not root_path.is_dir():
        raise UsageError(f"ROOT is not a folder: {root}")

    def from_cwd(value: str | None) -> str | None:
        # Paths typed on the command line are relative to where the user is, not to ROOT
        # (which is how pyproject.toml and editor settings read them).
        return str(Path(value).absolute()) if value else None

    overrides: dict[str, Any] = {
        "outputDir": from_cwd(getattr(args, "out", None)),
        "maxFileSize": getattr(args, "max_file_size", None),
        "jobs": getattr(args, "jobs", None),
        "cacheDir": from_cwd(getattr(args, "cache_dir", None)),
        "include": getattr(args, "include", None),
        "exclude": getattr(args, "exclude", None),
    }
    try:
        settings = load_settings(root_path, overrides)
    except SettingsError as error:
        raise UsageError(str(error)) from None
    if getattr(args, "no_cache", False):
        settings.use_cache = False
    return settings


def _cmd_export(args: argparse.Namespace) -> int:
    settings = _settings(args, args.root)
    from kwdocs.export import ExportError, export_workspace, format_summary

    show_progress = sys.stderr.isatty() and not args.quiet
    try:
        with _progress_bar(show_progress) as report:
            summary = export_workspace(settings, progress=report)
    except ExportError as error:
        raise UsageError(str(error)) from None
    if args.json:
        print(json.dumps(summary.to_json(), indent=2))
    elif not args.quiet:
        print(format_summary(summary, verbose=args.verbose))
    return 0


@contextlib.contextmanager
def _progress_bar(shown: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr for an export's phases (None when not shown)."""
    if not shown:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        # No refresh thread: the export stays single-threaded, so its workers can be forked.
        auto_refresh=False,
    )
    task = bar.add_task("index", total=None)

    def update(phase: str, done: int, total: int) -> None:
        bar.update(task, description=phase, completed=done, total=total, refresh=True)

    with bar:
        yield update


def _cmd_index(args: argparse.Namespace) -> int:
    import resource
    import time

    from kwdocs.pipeline import index_root

    settings = _settings(args, args.root)
    started = time.perf_counter()
    index, report = index_root(settings)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "root": str(settings.root),
        "files": report.files,
        "keywords": report.keywords,
        "from_cache": report.from_cache,
        "extracted": report.extracted,
        "skipped": len(report.skipped),
        "seconds": round(seconds, 3),
        "peak_memory_mib": round(peak, 1),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"indexed {result['files']} files, {result['keywords']} keywords "
        f"({result['from_cache']} from cache, {result['extracted']} extracted, "
        f"{result['skipped']} skipped) in {seconds:.2f} s"
    )
    if args.stats:
        print(f"peak memory: {peak:.1f} MiB")
        kinds: dict[str, int] = {}
        for record in index.records.values():
            for keyword in record.keywords:
                kinds[keyword.kind] = kinds.get(keyword.kind, 0) + 1
        for kind, count in sorted(kinds.items()):
            print(f"  {kind:<11} {count}")
        for skip in report.skipped:
            print(f"  skipped {skip.path}: {skip.reason}")
    return 0


def _cmd_lookup(args: argparse.Namespace) -> int:
    from kwdocs.discover import MANIFEST_NAME
    from kwdocs.lookup import Match, lookup
    from kwdocs.pages import page_links
    from kwdocs.pipeline import index_root

    settings = _settings(args, args.root)
    index, _ = index_root(settings)
    result = lookup(index, args.name)
    # Links only to pages that exist: before any export they would lead nowhere.
    exported = (Path(settings.out) / MANIFEST_NAME).is_file()
    rows = []
    for found in result.found:
        keyword = found.keyword
        docs, kw = page_links(settings.out, index.records[found.path], keyword)
        row: dict[str, Any] = {
            "name": keyword.name,
            "qualname": keyword.qualname,
            "kind": keyword.kind,
            "path": found.path,
            "line": keyword.line,
            "column": keyword.col + 1,
            "signature": keyword.signature,
            "summary": keyword.summary,
            "target": keyword.target,
            "resolves_to": (
                f"{found.target[0]}:{found.target[1].line}" if found.target is not None else None
            ),
            "docs_page": docs if exported else None,
            "keyword_page": kw if exported else None,
        }
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        if rows and result.match is Match.CASE:
            print(f"(no keyword spelled {args.name!r}; these match it but for case)")
        for row in rows:
            print(f"{row['path']}:{row['line']}:{row['column']}: {row['kind']} {row['qualname']}")
            if row["signature"]:
                print(f"    {row['signature']}")
            if row["summary"]:
                print(f"    {row['summary']}")
            if row["resolves_to"]:
                print(f"    defined at {row['resolves_to']}")
            if row["docs_page"]:
                print(f"    docs: {row['docs_page']}")
        if rows and not exported:
            print(
                f"(pages not exported yet: `kwdocs export {args.root}` writes them "
                f"into {settings.out})"
            )
    if not rows:
        hint = f"; did you mean {', '.join(result.suggestions)}?" if result.suggestions else ""
        print(f"no keyword named {args.name!r}{hint}", file=sys.stderr)
        return 1
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from kwdocs.cache import default_cache_dir
    from kwdocs.lsp.codecache import import_protocol

    import_protocol(default_cache_dir())  # most of the start-up time, cached when it can be
    from kwdocs.lsp.server import serve

    return serve(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kwdocs",
        description="A live keyword index and generated documentation pages for a workspace.",
    )
    parser.add_argument("--version", action="version", version=f"kwdocs {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    def selection(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--include", action="append", metavar="GLOB", help="only files matching")
        sub.add_argument("--exclude", action="append", metavar="GLOB", help="leave files out")
        sub.add_argument("--max-file-size", type=int, metavar="BYTES", help="default 2000000")
        sub.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: cores)")
        sub.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
        sub.add_argument("--cache-dir", metavar="DIR", help="where the record cache lives")

    export = commands.add_parser("export", help="write the documentation pages")
    export.add_argument("root", nargs="?", default=".", metavar="ROOT")
    export.add_argument("--out", metavar="DIR", help="output folder (default ROOT/docs/kwdocs)")
    export.add_argument("--json", action="store_true", help="print the summary as JSON")
    export.add_argument("-q", "--quiet", action="store_true", help="no progress, no summary")
    export.add_argument("-v", "--verbose", action="store_true", help="list every skipped file")
    selection(export)
    export.set_defaults(func=_cmd_export)

    index = commands.add_parser("index", help="build the index and print counts and timings")
    index.add_argument("root", nargs="?", default=".", metavar="ROOT")
    index.add_argument("--stats", action="store_true", help="kinds, peak memory, skipped files")
    index.add_argument("--json", action="store_true", help="print the figures as JSON")
    selection(index)
    index.set_defaults(func=_cmd_index)

    lookup = commands.add_parser("lookup", help="print the definitions of a keyword")
    lookup.add_argument("name", metavar="NAME")
    lookup.add_argument("--root", default=".", metavar="ROOT")
    lookup.add_argument("--out", metavar="DIR", help="output folder the page links point into")
    lookup.add_argument("--json", action="store_true")
    selection(lookup)
    lookup.set_defaults(func=_cmd_lookup)

    serve = commands.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    serve.add_argument("--tcp", action="store_true", help="listen on TCP instead")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=2087)
    serve.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    serve.add_argument("--log-file", metavar="FILE", help="also write logs to FILE")
    serve.set_defaults(func=_cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UsageError as error:
        print(f"kwdocs: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kwdocs: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (``| head``) left: not an error of ours. Point stdout at devnull so the
        # interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
