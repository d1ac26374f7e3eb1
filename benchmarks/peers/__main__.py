"""``python -m benchmarks.peers probe|run|score``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks import corpora
from benchmarks.peers import bench, servers


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers")
    commands = parser.add_subparsers(dest="command", required=True)

    probe = commands.add_parser(
        "probe",
        help="what every server answers at one position (or at each <|> of a snippet on stdin)",
    )
    probe.add_argument(
        "where",
        nargs="*",
        metavar="FILE:LINE:COL",
        help="positions (1-based line and column); or FILE LINE COL; none: a snippet on stdin "
        "with a <|> at each position (and '# %%%% file: NAME' lines to start other files)",
    )
    probe.add_argument("--root", type=Path, help="workspace root (default: the current folder)")
    probe.add_argument("--servers", nargs="+", metavar="NAME", help="only these servers")
    probe.add_argument("--full", action="store_true", help="whole hovers, not one line each")
    probe.add_argument("--json", action="store_true", help="answers as JSON")

    run = commands.add_parser(
        "run", help="measure kwdocs and every installed peer; cache the peers' answers; score"
    )
    score = commands.add_parser(
        "score", help="kwdocs alone against the cached peers' answers (after `run`)"
    )
    for sub in (run, score):
        sub.add_argument("--corpus", type=Path, metavar="DIR", help="default: the torch package")
        sub.add_argument("--positions", type=int, default=1000, help="hover/definition positions")
        sub.add_argument("--files", type=int, default=50, help="files the positions come from")
        sub.add_argument("--queries", type=int, default=100, help="workspace/symbol queries")
        sub.add_argument("--edits", type=int, default=10, help="edit → hover repetitions")
        sub.add_argument("--seed", type=int, default=13, help="seed of the draw")
        sub.add_argument(
            "--work",
            type=Path,
            default=corpora.CORPORA / "work",
            help="scratch folder (kwdocs's cache, servers' logs)",
        )
    run.add_argument("--servers", nargs="+", metavar="NAME", help="only these servers")
    run.add_argument("--docs", action="store_true", help="write the tables into docs/benchmarks.md")
    score.add_argument(
        "--full", action="store_true", help="also workspace/symbol and edit → hover for kwdocs"
    )
    docs = commands.add_parser("docs", help="write a run's tables into docs/benchmarks.md")
    docs.add_argument(
        "results", type=Path, nargs="?", help="default: benchmarks/results/peers/latest.json"
    )
    return parser.parse_args(argv)


def _settings(args: argparse.Namespace) -> bench.Settings:
    return bench.Settings(args.positions, args.files, args.queries, args.edits, args.seed)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "probe":
        from benchmarks.peers import probe

        where = args.where
        if len(where) == 3 and where[1].isdigit() and where[2].isdigit():
            where = [":".join(where)]
        try:
            locations = [probe.parse_location(w) for w in where]
        except ValueError:
            raise SystemExit("positions are FILE:LINE:COL (or FILE LINE COL)") from None
        specs, missing = servers.installed(servers.by_name(args.servers))
        for note in missing:
            print(note, file=sys.stderr)
        return probe.main(specs, locations, args.root, args.full, args.json)
    if args.command == "docs":
        from benchmarks.docs import update_peers

        path = args.results or bench.RESULTS / "latest.json"
        print(f"docs: {update_peers(json.loads(path.read_text()))}")
        return 0
    root = args.corpus.resolve() if args.corpus else corpora.torch_tree()
    work = args.work.resolve()
    if args.command == "run":
        if args.servers:
            servers.by_name(args.servers)  # unknown names end here
        data = bench.run_all(root, work, _settings(args), args.servers)
        bench.RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        for path in (bench.RESULTS / f"{stamp}-{root.name}.json", bench.RESULTS / "latest.json"):
            path.write_text(json.dumps(data, indent=1, default=str))
        bench.print_summary(data)
        if args.docs:
            from benchmarks.docs import update_peers

            print(f"docs: {update_peers(data)}")
    else:
        data = bench.score_kwdocs(root, work, _settings(args), args.full)
        bench.print_summary(data, with_speed=args.full)
    for path in data["inspection"]:
        print(f"inspect: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
