"""Runs the kwdocs bundled with the VS Code extension: ``python -I -S launch.py serve``.

The extension starts this file in isolated mode (``-I``: no PYTHON* variables, no user
site-packages, neither the current folder nor this file's folder on sys.path) and without
site-packages (``-S``): kwdocs and every dependency are imported from ``../libs`` and from the
standard library only, never from the workspace or from whatever the interpreter has
installed. Run with an interpreter the bundle was not built for, it says so and exits with
status 3 instead of failing on an import.

Kept to syntax that Python 3.6 still parses, so that an old interpreter gets the message.
"""

import json
import os
import runpy
import sys

LIBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")
UNSUPPORTED = 3


def _abi() -> str:
    """``cp312`` for CPython 3.12 (``cp313t`` for its free-threaded build)."""
    # sys.abiflags exists on POSIX only.
    flags = getattr(sys, "abiflags", "")
    return f"cp{sys.version_info[0]}{sys.version_info[1]}{flags}"


def main() -> int:
    with open(os.path.join(LIBS, "bundle.json"), encoding="utf-8") as manifest_file:
        manifest = json.load(manifest_file)
    supported = manifest["abis"]
    if sys.implementation.name != "cpython" or _abi() not in supported:
        print(
            "kwdocs: the bundled kwdocs serves CPython {} on {}; {} is {} {} ({})".format(
                ", ".join(manifest["pythons"]),
                manifest["target"],
                sys.executable,
                sys.implementation.name,
                sys.version.split()[0],
                _abi(),
            ),
            file=sys.stderr,
        )
        return UNSUPPORTED
    sys.path.insert(0, LIBS)
    # The rest of the arguments are kwdocs's own, as for ``python -m kwdocs``.
    sys.argv[0] = "kwdocs"
    runpy.run_module("kwdocs", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
