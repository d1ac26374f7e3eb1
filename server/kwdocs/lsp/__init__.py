"""The kwdocs language server (pygls 2): a thin LSP layer over the engine; ``server.serve``."""
