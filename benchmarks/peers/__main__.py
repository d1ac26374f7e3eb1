"""``python -m benchmarks.peers probe|run|score``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.peers import servers


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
    return parser.parse_args(argv)


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
    return 2


if __name__ == "__main__":
    sys.exit(main())
