"""Comments that speak to a tool, not to a reader (``# type: ignore``, ``# noqa``,
``# pyrefly: ignore [...]``, ``# fmt: off``, ``#!``, ``# -*- coding ...``): one rule for every
place that quotes a comment (module notes, an attribute's comment), so none shows a directive
as prose."""

from __future__ import annotations

import re

_DIRECTIVE = re.compile(
    r"^(?:!|-\*-|@generated\b|pyre-\w+|noqa\b|nosec\b"
    r"|(?:type|mypy|flake8|ruff|pylint|pyright|pyrefly|pyre|isort|fmt|yapf|coding|vim|ty"
    r"|pragma|codespell)\s*[:=])",
    re.IGNORECASE,
)


def is_tool_directive(comment: str) -> bool:
    """True when a comment (with or without its ``#`` markers) is a tool's directive."""
    return _DIRECTIVE.match(comment.lstrip().lstrip("#").lstrip()) is not None
