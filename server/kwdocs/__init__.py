"""kwdocs: a live keyword index and generated documentation pages for a code workspace."""

__version__ = "0.1.0"
