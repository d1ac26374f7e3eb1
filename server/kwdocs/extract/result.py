"""What one file's language extractor returns (the tree-sitter languages share it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kwdocs.model import Keyword, Problem


@dataclass
class LanguageResult:
    """Keywords and file-level facts of one file."""

    keywords: list[Keyword] = field(default_factory=list)
    docstring: str = ""
    """The file's summary: its leading comment block (C family), empty where there is none."""
    problems: list[Problem] = field(default_factory=list)
    parser: str = ""
    """Which parser produced the keywords, as ``FileRecord.parser`` records it."""
