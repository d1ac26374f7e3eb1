"""kwdocs: a live keyword index and generated documentation pages for a code workspace."""

__version__ = "0.1.0"

# The compiled build of the hot modules, when there is one for their current sources: loaded
# before any of them is imported (kwdocs/compiled.py).
from kwdocs import compiled as _compiled

_compiled.activate()
