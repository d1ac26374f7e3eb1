"""Run the command line: ``python -m kwdocs``."""

import os
import sys

# ``python -m`` puts the current folder first on sys.path; run inside a workspace, its
# ``json.py`` or ``argparse.py`` would be imported (and run) in place of the standard library's.
# kwdocs never runs workspace code, so that entry goes before anything else is imported.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from kwdocs.cli import main

raise SystemExit(main())
