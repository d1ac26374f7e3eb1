"""``python -m benchmarks``: prepare the corpora, measure every figure of the speed issue in
one run, print them next to their targets, and write the results as JSON (and plots)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import corpora, engine
from benchmarks.report import Row, build_rows, format_scaling, format_table
from benchmarks.scratch import discard_all, fresh
from benchmarks.stats import load_average, median

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each figure")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke pass: 1 run, fewer positions, no scaling or stdlib",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        metavar="DIR",
        help="measure this folder instead of the torch package",
    )
    parser.add_argument("--positions", type=int, default=1200, help="hover/definition positions")
    parser.add_argument("--queries", type=int, default=400, help="workspace/symbol queries")
    parser.add_argument("--edits", type=int, default=20, help="edit → hover repetitions")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1/8…all series")
    parser.add_argument("--scaling-runs", type=int, default=1, help="repetitions per size")
    parser.add_argument("--no-server", action="store_true", help="skip the server figures")
    parser.add_argument("--no-export", action="store_true", help="skip the export figures")
    parser.add_argument(
        "--no-wheel",
        action="store_true",
        help="skip issue 16's figures on the wheel tree (Python and C/C++/CUDA together)",
    )
    parser.add_argument(
        "--wheel-corpus",
        type=Path,
        metavar="DIR",
        help="measure the wheel-tree figures on this folder instead of the wheel's tree "
        "(by default they run only on the torch corpus)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=corpora.CORPORA / "work",
        help="scratch folder for caches, pages and copies",
    )
    parser.add_argument(
        "--results", type=Path, default=HERE / "results", help="where the JSON results go"
    )
    parser.add_argument("--plots", type=Path, metavar="DIR", help="write PNG plots there")
    parser.add_argument(
        "--docs", action="store_true", help="write the figures and plots into docs/benchmarks.md"
    )
    parser.add_argument(
        "--peers",
        action="store_true",
        help="also run the peer language servers on the same positions (the peers extra)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 1
        args.positions = min(args.positions, 200)
        args.queries = min(args.queries, 40)
        args.edits = min(args.edits, 3)
        args.no_scaling = True
    return args


def say(message: str) -> None:
    print(
        f"[{time.strftime('%H:%M:%S')} load {load_average():.2f}] {message}",
        file=sys.stderr,
        flush=True,
    )


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu
            )
    except OSError:
        pass
    memory = None
    try:
        with open("/proc/meminfo") as f:
            memory = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import kwdocs
    from kwdocs import compiled

    return {
        "compiled": compiled.current_build() is not None and not os.environ.get(compiled.PURE_ENV),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "kwdocs": kwdocs.__version__,
    }


# ---- engine figures -------------------------------------------------------------------------


def engine_figures(root: Path, work: Path, runs: int, with_ctags: bool = True) -> dict[str, Any]:
    """ast floor and kwdocs cold index, alternated so load drift hits both; ctags; warm index."""
    out: dict[str, Any] = {"ast_floor": [], "cold_index": [], "ctags": [], "warm_index": []}
    for _ in range(runs):
        out["ast_floor"].append(engine.ast_floor(root))
        out["cold_index"].append(engine.kwdocs_index(root, work / "cache-unused", no_cache=True))
        if with_ctags:
            tags = engine.ctags(root)
            if tags is not None:
                out["ctags"].append(tags)
    warm_cache = fresh(work / "cache-warm")
    engine.kwdocs_index(root, warm_cache, no_cache=False)  # fills the cache
    for _ in range(runs):
        out["warm_index"].append(engine.kwdocs_index(root, warm_cache, no_cache=False))
    return out


# ---- export figures -------------------------------------------------------------------------


def export_available() -> str | None:
    try:
        import kwdocs.export  # noqa: F401
    except Exception as error:  # any import failure means: no export figures this run
        return f"{type(error).__name__}: {error}"
    return None


def export_figures(root: Path, work: Path, runs: int, edit: str | None) -> list[dict[str, Any]]:
    """Cold export (no pages, no cache), then one file changed and exported again; before
    each cold export the ast floor of the same files, so that load drift (a machine slower
    for a minute or two) hits both sides of the ratio, as for the cold index."""
    copy = work / f"export-{root.name}"
    if not copy.exists():
        shutil.copytree(root, copy)
    results = []
    for i in range(runs):
        floor = engine.ast_floor(copy)
        out = fresh(work / "export-out")
        cache = fresh(work / "export-cache")
        cold = engine.kwdocs_export(copy, out, cache)
        run: dict[str, Any] = {"floor": floor, "cold": cold}
        if edit is not None:
            with open(copy / edit, "a", encoding="utf-8") as f:
                f.write(f"\n# kwdocs benchmark edit {i} at {time.time()}\n")
            run["again"] = engine.kwdocs_export(copy, out, cache)
        results.append(run)
    return results


# ---- server figures -------------------------------------------------------------------------


def server_figures(root: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks import positions as P
    from benchmarks import server as S

    warm_cache = work / "cache-server-warm"
    index = P.load_index(root, warm_cache)  # also fills the cache the warm server reads
    picked = P.pick_positions(index, root, args.positions, files=max(1, args.positions // 24))
    queries = P.symbol_queries(index, args.queries)
    expected = {}
    for kind, query in queries:
        if kind == "exact":
            expected[query] = sum(
                1
                for d in index.lookup(query)
                if d.keyword.name == query
                and d.keyword.kind
                in ("class", "function", "method", "property", "constant", "variable")
            )
    edit_path = P.edit_target(index)
    target = _first_hover_target(index, root)
    engine_side = P.engine_latencies(index, picked, queries)
    logs = work / "server-stderr.log"
    del index
    out: dict[str, Any] = {
        "warm_start": [],
        "cold_first_hover": [],
        "latencies": [],
        "positions": len(picked),
        "position_files": len({p.path for p in picked}),
        "first_hover_target": target.__dict__ if target else None,
        "engine_latencies": engine_side,
    }
    for i in range(args.runs):
        say(f"server: warm start {i + 1}/{args.runs}")
        out["warm_start"].append(asyncio.run(S.warm_start(root, warm_cache, logs)))
        if target is not None:
            say(f"server: cold workspace, first hover {i + 1}/{args.runs}")
            out["cold_first_hover"].append(
                asyncio.run(S.cold_first_hover(root, work / "cache-server-cold", logs, target))
            )
        say(f"server: latencies {i + 1}/{args.runs}")
        out["latencies"].append(
            asyncio.run(
                S.latencies(
                    root, warm_cache, logs, picked, queries, expected, edit_path, args.edits
                )
            )
        )
    return out


def _first_hover_target(index: Any, root: Path) -> Any:
    """A class name in a file users open (torch.nn's Module when it is there)."""
    from benchmarks.positions import Position

    preferred = "torch/nn/modules/module.py"
    record = index.get(preferred)
    if record is None:
        python = sorted(
            (r for r in index.records.values() if r.language == "python"),
            key=lambda r: (-r.lines, r.path),
        )
        record = next((r for r in python if r.keywords), None)
    if record is None:
        return None
    keyword = next((k for k in record.keywords if k.kind == "class"), None) or next(
        (k for k in record.keywords if k.kind in ("function", "constant", "variable")), None
    )
    if keyword is None:
        return None
    return Position(
        record.path, keyword.line - 1, keyword.col + len(keyword.name) // 2, keyword.name, True
    )


# ---- peers ------------------------------------------------------------------------------------


def peer_figures(root: Path, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """kwdocs and the peer servers on the same positions (benchmarks/peers/)."""
    try:
        from benchmarks.peers.bench import Settings, run_all
    except ImportError as error:  # psutil comes with the peers extra
        return {"error": f"unavailable ({error}): pip install -e '.[peers]'"}
    say("peers: kwdocs and the peer servers, one at a time")
    settings = Settings(positions=100, files=10, queries=8, edits=2) if args.quick else Settings()
    try:
        return run_all(root, work, settings)
    except Exception as error:  # report the failure, keep the other figures
        say(f"peers failed: {error!r}")
        return {"error": f"failed: {type(error).__name__}: {error}"}


# ---- scaling ----------------------------------------------------------------------------------


def scaling_point(name: str, root: Path, work: Path, runs: int, export: bool) -> dict[str, Any]:
    info = corpora.describe(name, root)
    say(f"scaling: {name} ({info.files} files)")
    figures = engine_figures(root, work, runs)
    point: dict[str, Any] = {
        "name": name,
        "files": info.files,
        "lines": info.lines,
        "megabytes": info.megabytes,
        "ast_floor": median([r["seconds"] for r in figures["ast_floor"]]),
        "cold_index": median([r["seconds"] for r in figures["cold_index"]]),
        "cold_index_wall": median([r["wall"] for r in figures["cold_index"]]),
        "cold_peak_mib": median([r["peak_memory_mib"] for r in figures["cold_index"]]),
        "ctags": median([r["seconds"] for r in figures["ctags"]]),
        "warm_index": median([r["seconds"] for r in figures["warm_index"]]),
        "runs": figures,
    }
    if export:
        cold = []
        for _ in range(runs):
            done = engine.kwdocs_export(
                root, fresh(work / "export-out"), fresh(work / "export-cache")
            )
            cold.append(done["summary"].get("seconds", done["wall"]))
        point["export_cold"] = median(cold)
    return point


# ---- main ---------------------------------------------------------------------------------


def compile_kwdocs() -> None:
    """Make kwdocs as a wheel installs it: its hot modules compiled (``kwdocs compile``; the
    figures say whether they were), its bytecode written (an editable checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile every module at each server start)."""
    import compileall

    import kwdocs
    from kwdocs import compiled

    try:
        compiled.build()
    except compiled.BuildError as error:
        say(f"kwdocs runs as pure Python: its compiled modules could not be built ({error})")
    compileall.compile_dir(str(Path(kwdocs.__file__).parent), quiet=1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return _run(args, argv)
    finally:
        discard_all(args.work.resolve())


def _run(args: argparse.Namespace, argv: list[str] | None) -> int:
    started = time.time()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.corpus is not None:
        name, root = args.corpus.name, args.corpus.resolve()
    else:
        say("preparing the torch corpus")
        name, root = "torch", corpora.torch_tree()
    info = corpora.describe(name, root)
    compile_kwdocs()
    say(f"corpus {name}: {info.files} files, {info.lines:,} lines, {info.megabytes:.1f} MB")
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "corpus": {
            "name": name,
            "root": str(root),
            "files": info.files,
            "lines": info.lines,
            "megabytes": round(info.megabytes, 2),
        },
        "runs": args.runs,
        "load": {"start": load_average()},
        "main": {},
        "not_measured": {},
        "scaling": [],
    }
    main_results = results["main"]
    say("engine: ast floor, kwdocs index cold/warm, ctags")
    main_results.update(engine_figures(root, work, args.runs))

    from benchmarks.server import server_available

    why = "skipped (--no-server)" if args.no_server else server_available()
    if why is None:
        try:
            main_results["server"] = server_figures(root, work, args)
        except Exception as error:  # report the failure in the table, keep the other figures
            results["not_measured"]["server"] = f"failed: {type(error).__name__}: {error}"
            say(f"server figures failed: {error!r}")
    else:
        results["not_measured"]["server"] = f"unavailable ({why})"

    if args.peers:
        results["peers"] = peer_figures(root, work, args)

    why = "skipped (--no-export)" if args.no_export else export_available()
    if why is None:
        say("export: cold, then one file changed")
        try:
            from benchmarks.positions import edit_target, load_index

            edit = edit_target(load_index(root, work / "cache-server-warm"))
            main_results["export"] = export_figures(root, work, args.runs, edit)
        except Exception as error:
            results["not_measured"]["export"] = f"failed: {type(error).__name__}: {error}"
            say(f"export figures failed: {error!r}")
    else:
        results["not_measured"]["export"] = f"unavailable ({why})"
        results["not_measured"]["cold_index"] = ""

    if not args.no_scaling and args.corpus is None:
        with_export = "export" in main_results
        for denominator in corpora.FRACTIONS:
            results["scaling"].append(
                scaling_point(
                    f"torch 1/{denominator}",
                    corpora.torch_subset(denominator),
                    work,
                    args.scaling_runs,
                    with_export,
                )
            )
        main_point = {
            "name": "torch (all)",
            "files": info.files,
            "lines": info.lines,
            "megabytes": info.megabytes,
            "ast_floor": median([r["seconds"] for r in main_results["ast_floor"]]),
            "cold_index": median([r["seconds"] for r in main_results["cold_index"]]),
            "ctags": median([r["seconds"] for r in main_results["ctags"]]),
            "warm_index": median([r["seconds"] for r in main_results["warm_index"]]),
            "export_cold": median(
                [
                    r["cold"]["summary"].get("seconds", r["cold"]["wall"])
                    for r in main_results.get("export", [])
                ]
            ),
        }
        results["scaling"].append(main_point)
        results["scaling"].append(
            scaling_point("stdlib", corpora.stdlib_tree(), work, args.scaling_runs, with_export)
        )

    wheel_root = args.wheel_corpus
    if wheel_root is None and args.corpus is None and not args.no_wheel:
        say("preparing the wheel tree")
        wheel_root = corpora.wheel_tree()
    if wheel_root is not None and not args.no_wheel:
        from benchmarks.wheel import wheel_figures

        wheel_root = wheel_root.resolve()
        wheel_info = corpora.describe("torch wheel", wheel_root, every_file=True)
        say(f"wheel tree: {wheel_info.files} files, {wheel_info.megabytes:.1f} MB")
        results["wheel"] = {
            "corpus": wheel_info.__dict__ | {"root": str(wheel_root)},
            **wheel_figures(
                wheel_root,
                work,
                args.runs,
                export=not args.no_export and export_available() is None,
                server=not args.no_server,
                say=say,
            ),
        }

    results["load"]["end"] = load_average()
    results["seconds"] = round(time.time() - started, 1)
    rows = build_rows(results)
    results["table"] = [row.__dict__ for row in rows]
    wheel_table: list[Row] = []
    if "wheel" in results:
        from benchmarks.wheel import wheel_rows

        wheel_table = wheel_rows(results["wheel"])
        results["wheel_table"] = [row.__dict__ for row in wheel_table]

    args.results.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(started))
    for path in (args.results / f"{stamp}-{name}.json", args.results / "latest.json"):
        path.write_text(json.dumps(results, indent=1, default=str))
    if args.plots is not None:
        from benchmarks.plots import write_plots

        for path in write_plots(results, args.plots):
            say(f"plot {path}")

    print(
        f"kwdocs benchmarks: {name} ({info.files} files, {info.lines:,} lines), "
        f"{args.runs} run(s), load {results['load']['start']} → {results['load']['end']}, "
        f"{results['machine']['cores']} cores"
    )
    print(format_table(rows))
    if wheel_table:
        corpus = results["wheel"]["corpus"]
        print()
        print(
            f"Issue 16, the wheel tree ({corpus['files']:,} files, {corpus['megabytes']:.1f} MB: "
            ".py, .pyi, headers, .cuh, .cpp, .cmake, YAML):"
        )
        print(format_table(wheel_table))
    if results["scaling"]:
        print()
        print(format_scaling(results["scaling"]))
    extra = _context(main_results)
    if extra:
        print()
        print(extra)
    peers = results.get("peers")
    if peers:
        from benchmarks.peers.bench import print_summary

        print()
        if "error" in peers:
            print(f"peers: {peers['error']}")
        else:
            print_summary(peers)
    if args.docs:
        from benchmarks.docs import update

        print(f"docs: {update(results)}")
    print(f"\nresults: {args.results / 'latest.json'}")
    return 0


def _context(main_results: dict[str, Any]) -> str:
    """Figures that are not targets but explain them: ctags, peak memory of `kwdocs index`."""
    lines = []
    ctags = median([r["seconds"] for r in main_results.get("ctags", [])])
    if ctags is not None:
        lines.append(f"universal-ctags: {ctags:.2f} s")
    peak = median([r["peak_memory_mib"] for r in main_results.get("cold_index", [])])
    if peak is not None:
        lines.append(f"`kwdocs index --no-cache` peak RSS: {peak:.0f} MiB")
    wall = median([r["wall"] for r in main_results.get("cold_index", [])])
    if wall is not None:
        lines.append(f"`kwdocs index --no-cache` wall (process start to exit): {wall:.2f} s")
    warm_wall = median([r["wall"] for r in main_results.get("warm_index", [])])
    if warm_wall is not None:
        lines.append(f"`kwdocs index` warm wall (process start to exit): {warm_wall:.2f} s")
    engine_side = main_results.get("server", {}).get("engine_latencies")
    if engine_side:
        for name, figures in engine_side.items():
            lines.append(
                f"in-process {name}: p50 {figures['p50'] * 1000:.2f} ms, "
                f"p99 {figures['p99'] * 1000:.2f} ms over {figures['count']} calls"
            )
    return "\n".join(lines)
