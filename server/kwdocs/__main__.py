"""Run the command line: ``python -m kwdocs``."""

from kwdocs.cli import main

raise SystemExit(main())
