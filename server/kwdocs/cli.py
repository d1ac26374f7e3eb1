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
from typing import Any, NoReturn

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
    warnings: list[str] = []
    try:
        settings = load_settings(root_path, overrides, warnings)
    except SettingsError as error:
        raise UsageError(str(error)) from None
    for warning in warnings:
        print(f"kwdocs: warning: {warning}", file=sys.stderr)
    if getattr(args, "no_cache", False):
        settings.use_cache = False
    return settings


def _site_config(args: argparse.Namespace, settings: Any) -> Path | None:
    """Where ``--site`` writes the MkDocs configuration: the path given, else mkdocs.yml in
    ROOT when the output folder lies inside it (MkDocs's usual place), else beside OUT."""
    if args.site_config:
        return Path(args.site_config).absolute()
    if not args.site:
        return None
    out = Path(settings.out)
    inside = Path(settings.root) in out.parents
    return (Path(settings.root) if inside else out.parent) / "mkdocs.yml"


def _cmd_export(args: argparse.Namespace) -> int:
    settings = _settings(args, args.root)
    from kwdocs.export import ExportError, export_workspace, format_summary

    show_progress = sys.stderr.isatty() and not args.quiet
    try:
        with _progress_bar(show_progress) as report:
            summary = export_workspace(
                settings,
                progress=report,
                site=_site_config(args, settings),
                exiting=args.ending,
            )
    except ExportError as error:
        raise UsageError(str(error)) from None
    if summary.files == 0:
        print(
            f"kwdocs: warning: no file under {settings.root} matched: nothing to document "
            "(check ROOT, include, exclude and .gitignore; `kwdocs index ROOT --stats` "
            "lists the files it skipped)",
            file=sys.stderr,
        )
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


def _cmd_compile(args: argparse.Namespace) -> int:
    from kwdocs import compiled

    if args.status:
        folder = compiled.current_build()
        running = "running" if compiled.active() else "not running (KWDOCS_PURE_PYTHON is set)"
        print(f"compiled: {folder}, {running}" if folder else "compiled: no (pure Python)")
        return 0 if folder else 1
    try:
        folder = compiled.build(quiet=not args.verbose)
    except compiled.BuildError as error:
        print(f"kwdocs compile: the build failed; kwdocs runs as pure Python.\n{error}")
        return 1
    print(f"compiled: {folder}")
    return 0


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


_EXAMPLES = """\
examples:
  kwdocs export                         pages of the current folder into docs/kwdocs
  kwdocs export src --out build/pages   pages of src/ into build/pages
  kwdocs export --site                  the same, and an mkdocs.yml: mkdocs build --strict
  kwdocs lookup FlatParamHandle         where a name is defined, with its pages
  kwdocs index . --stats                what is indexed, how fast, and what is skipped
  kwdocs serve                          the language server, for editors (stdio)

Settings: [tool.kwdocs] in ROOT/pyproject.toml (docs/configuration.md).
"""

_EXPORT_EXAMPLES = """\
examples:
  kwdocs export                              ROOT is the current folder, pages in docs/kwdocs
  kwdocs export server --out /tmp/pages      another root and output folder
  kwdocs export --exclude 'tests/**' -v      leave tests out; list every skipped file
  kwdocs export --site && mkdocs build --strict
                                             a browsable site (pip install 'kwdocs[site]')
  kwdocs export --json | jq .written         the summary as JSON
"""

_INDEX_EXAMPLES = """\
examples:
  kwdocs index                   counts and time for the current folder
  kwdocs index src --stats       keywords of each kind, peak memory, skipped files
  kwdocs index --json --no-cache figures as JSON, every file read again
"""

_LOOKUP_EXAMPLES = """\
examples:
  kwdocs lookup FlatParamHandle            a class, spelled as at its definition
  kwdocs lookup flatparamhandle            any case: the same answers, or suggestions
  kwdocs lookup torch.nn.Module --root .   a dotted path, through re-exports
  kwdocs lookup area --json                every match as JSON
"""

_SERVE_EXAMPLES = """\
examples:
  kwdocs serve                              stdio, as editors start it
  kwdocs serve --log-level DEBUG --log-file /tmp/kwdocs.log
  kwdocs serve --tcp --port 2087            a client that connects over TCP
"""
_COMPILE_EXAMPLES = """\
examples:
  kwdocs compile                            build the compiled modules of these sources
  kwdocs compile --status                   whether they are built (exit 1 when not)
  KWDOCS_PURE_PYTHON=1 kwdocs export        run as pure Python all the same
"""


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="kwdocs",
        description="A live keyword index and generated documentation pages for a workspace.",
        epilog=_EXAMPLES,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"kwdocs {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    def command(name: str, help: str, examples: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=help, description=help, epilog=examples, formatter_class=formatter
        )

    def root_argument(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "root",
            nargs="?",
            default=".",
            metavar="ROOT",
            help="the workspace folder to read (default: the current folder)",
        )

    def selection(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--include",
            action="append",
            metavar="GLOB",
            help="only files matching GLOB (.gitignore syntax, relative to ROOT; repeatable)",
        )
        sub.add_argument(
            "--exclude",
            action="append",
            metavar="GLOB",
            help="leave out files matching GLOB (.gitignore syntax; repeatable)",
        )
        sub.add_argument(
            "--max-file-size",
            type=int,
            metavar="BYTES",
            help="skip larger files (default 2000000)",
        )
        sub.add_argument(
            "--jobs", type=int, metavar="N", help="worker processes (default 0: one per core)"
        )
        sub.add_argument(
            "--no-cache", action="store_true", help="neither read nor write the record cache"
        )
        sub.add_argument(
            "--cache-dir", metavar="DIR", help="where the record cache lives (default: user cache)"
        )

    export = command("export", "write the documentation pages", _EXPORT_EXAMPLES)
    root_argument(export)
    export.add_argument(
        "--out", metavar="DIR", help="output folder (default ROOT/docs/kwdocs, or output-dir)"
    )
    export.add_argument(
        "--site",
        action="store_true",
        help="also write an MkDocs configuration with a navigation over the pages "
        "(ROOT/mkdocs.yml when DIR lies inside ROOT, else mkdocs.yml beside DIR)",
    )
    export.add_argument(
        "--site-config",
        metavar="PATH",
        help="write that MkDocs configuration at PATH instead (implies --site)",
    )
    export.add_argument("--json", action="store_true", help="print the summary as JSON")
    export.add_argument("-q", "--quiet", action="store_true", help="no progress, no summary")
    export.add_argument("-v", "--verbose", action="store_true", help="list every skipped file")
    selection(export)
    export.set_defaults(func=_cmd_export)

    index = command("index", "build the index and print counts and timings", _INDEX_EXAMPLES)
    root_argument(index)
    index.add_argument("--stats", action="store_true", help="kinds, peak memory, skipped files")
    index.add_argument("--json", action="store_true", help="print the figures as JSON")
    selection(index)
    index.set_defaults(func=_cmd_index)

    lookup = command("lookup", "print the definitions of a keyword", _LOOKUP_EXAMPLES)
    lookup.add_argument(
        "name",
        metavar="NAME",
        help="a name as defined (Slugger), any case, or a dotted path (kwdocs.pages.Slugger)",
    )
    lookup.add_argument(
        "--root", default=".", metavar="ROOT", help="the workspace folder (default: current)"
    )
    lookup.add_argument("--out", metavar="DIR", help="output folder the page links point into")
    lookup.add_argument("--json", action="store_true", help="print the matches as JSON")
    selection(lookup)
    lookup.set_defaults(func=_cmd_lookup)

    serve = command("serve", "run the language server (stdio by default)", _SERVE_EXAMPLES)
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    serve.add_argument("--tcp", action="store_true", help="listen on TCP instead")
    serve.add_argument("--host", default="127.0.0.1", help="TCP address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    serve.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="least severe log messages shown (default INFO)",
    )
    serve.add_argument("--log-file", metavar="FILE", help="also write logs to FILE")
    serve.set_defaults(func=_cmd_serve)

    compile_ = command(
        "compile",
        "compile kwdocs's hot modules with mypyc (a third faster; pure Python runs without)",
        _COMPILE_EXAMPLES,
    )
    compile_.add_argument(
        "--status", action="store_true", help="only say whether the current sources are compiled"
    )
    compile_.add_argument("-v", "--verbose", action="store_true", help="the compiler's output")
    compile_.set_defaults(func=_cmd_compile)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Without ``argv`` this is the program itself (``kwdocs``, ``python -m
    kwdocs``), which ends when the command does: an export then ends the process at once,
    leaving what it made to the system to discard rather than freeing it object by object."""
    args = build_parser().parse_args(argv)
    args.ending = argv is None and args.func is _cmd_export
    try:
        code = int(args.func(args) or 0)
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
    if args.ending:
        _end_now(code)
    return code


def _end_now(code: int) -> NoReturn:
    """End the process now, without the interpreter's teardown (which would free every object
    the command made, one by one); its output flushed first, as the teardown would."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone, a stream closed
            stream.flush()
    os._exit(code)
