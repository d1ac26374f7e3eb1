"""Module notes: titled comment notes, the leading comment block, bare module-level strings —
on PyTorch's FSDP files and on small sources made for each rule."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from kwdocs.extract.note_types import ModuleNote, NoteOrigin
from kwdocs.extract.notes import module_notes


def _notes(source: str) -> list[ModuleNote]:
    return module_notes(textwrap.dedent(source).lstrip("\n"))


def test_fsdp_param_notes_come_from_its_bare_string(torch_root: Path) -> None:
    path = torch_root / "torch/distributed/fsdp/_fully_shard/_fsdp_param.py"
    text = path.read_text()
    notes = module_notes(text, ast.parse(text))
    titled = {n.title: n for n in notes if n.title}
    assert list(titled) == ["FSDP tensors", "FSDP and autograd"]
    tensors, autograd = titled["FSDP tensors"], titled["FSDP and autograd"]
    assert (tensors.line, autograd.line) == (49, 75)  # the lines 48–83
    assert 49 < tensors.end_line < 75 and 75 < autograd.end_line <= 83
    assert tensors.origin is autograd.origin is NoteOrigin.STRING
    assert tensors.text.startswith("FSDP considers the following tensors:")
    assert "[Note" not in tensors.text and "[Note" not in autograd.text
    assert autograd.text.endswith("so we use storage resizing on the all-gather output.")
    lines = text.split("\n")
    assert lines[tensors.line - 1].strip() == "[Note: FSDP tensors]"


def test_flat_param_note_cited_by_its_own_code(torch_root: Path) -> None:
    text = (torch_root / "torch/distributed/fsdp/_flat_param.py").read_text()
    notes = [n for n in module_notes(text) if n.title == "Fully Sharded Module"]
    assert len(notes) == 1
    note = notes[0]
    assert note.line == 53 and note.origin is NoteOrigin.STRING
    assert note.text.startswith('We define the "fully sharded module"')
    # The code cites it: the note is what "See [Note: Fully Sharded Module]" points at.
    assert "See [Note: Fully Sharded Module]" in text


def test_a_citation_is_not_a_note(torch_root: Path) -> None:
    """``_fsdp_state.py`` only cites [Note: Overlapping all-gather copy-in and all-gather]."""
    text = (torch_root / "torch/distributed/fsdp/_fully_shard/_fsdp_state.py").read_text()
    assert "# [Note: Overlapping all-gather copy-in and all-gather]" in text
    assert [n for n in module_notes(text) if n.title] == []
    group = (torch_root / "torch/distributed/fsdp/_fully_shard/_fsdp_param_group.py").read_text()
    assert [n.title for n in module_notes(group) if n.title] == [
        "Overlapping all-gather copy-in and all-gather"
    ]


def test_pytorch_comment_notes(torch_root: Path) -> None:
    text = (torch_root / "torch/nn/functional.py").read_text()
    notes = {n.title: n for n in module_notes(text) if n.origin is NoteOrigin.COMMENT}
    note = notes["embedding_renorm contiguous"]
    title_line = text.split("\n")[note.line - 1].strip()
    assert title_line.startswith("# Note [embedding_renorm contiguous]")
    assert note.text.startswith("`embedding_renorm_` will call .contiguous() on input anyways")
    assert "#" not in note.text.split("\n")[0]


def test_titled_comment_block_runs_to_the_next_title_or_the_block_end() -> None:
    notes = _notes(
        """
        import os

        def f():
            # [Note: First]
            # Body of the first,
            #   indented line kept relative.
            # [Note: Second]
            # Body of the second.
            x = 1
            # Note [Old style]: text on the title line
            # and on the next.
            return x
        """
    )
    assert [(n.title, n.line, n.end_line, n.origin) for n in notes] == [
        ("First", 4, 6, NoteOrigin.COMMENT),
        ("Second", 7, 8, NoteOrigin.COMMENT),
        ("Old style", 10, 11, NoteOrigin.COMMENT),
    ]
    assert notes[0].text == "Body of the first,\n  indented line kept relative."
    assert notes[2].text == "text on the title line\nand on the next."


def test_hash_lines_inside_strings_are_not_comments() -> None:
    notes = _notes(
        '''
        TEMPLATE = """
        # [Note: Not a note]
        # it is text of a string
        """

        def g():
            return f"""
        # [Note: Nor this]
        # body {TEMPLATE}
        """
        '''
    )
    assert notes == []


def test_leading_comment_block_without_licence_or_directives() -> None:
    notes = _notes(
        """
        #!/usr/bin/env python
        # -*- coding: utf-8 -*-
        # mypy: allow-untyped-defs
        # This module wires the widgets to the frobnicator.
        #
        #   It keeps one frobnicator per process.

        # Copyright (c) Somebody. Licensed under the MIT licence.

        import os  # a trailing comment is no note
        """
    )
    assert notes == [
        ModuleNote(
            None,
            4,
            6,
            "This module wires the widgets to the frobnicator.\n\n  It keeps one frobnicator per"
            " process.",
            NoteOrigin.LEADING_COMMENT,
        )
    ]


def test_licence_header_alone_gives_no_note() -> None:
    assert _notes("# Copyright 2024 ACME\n# SPDX-License-Identifier: MIT\nimport os\n") == []
    assert _notes("# mypy: ignore-errors\n\nimport os\n") == []


def test_bare_strings_at_module_level() -> None:
    notes = _notes(
        '''
        """The module docstring is not a note."""

        LIMIT = 3
        """The limit, documented right under it."""


        """
        A design note without a title.

        It spans paragraphs.
        """

        def f():
            """A function's docstring is not a module note."""
            "nor is a string inside a function"
        '''
    )
    assert [(n.title, n.line, n.origin) for n in notes] == [
        (None, 4, NoteOrigin.ATTRIBUTE_DOCSTRING),
        (None, 7, NoteOrigin.STRING),
    ]
    assert notes[1].text == "A design note without a title.\n\nIt spans paragraphs."


def test_a_file_that_does_not_parse_still_gives_its_comment_notes() -> None:
    notes = _notes(
        """
        # A leading note.
        def broken(:
            # [Note: Still found]
            # body
            pass
        """
    )
    assert [(n.title, n.origin) for n in notes] == [
        (None, NoteOrigin.LEADING_COMMENT),
        ("Still found", NoteOrigin.COMMENT),
    ]


def test_every_fsdp_file_yields_notes_without_error(torch_root: Path) -> None:
    files = sorted((torch_root / "torch/distributed/fsdp").rglob("*.py"))
    titles = {t for path in files for n in module_notes(path.read_text()) if (t := n.title)}
    assert {
        "FSDP tensors",
        "FSDP and autograd",
        "Fully Sharded Module",
        "FSDP State Traversal",
        "Overlapping all-gather copy-in and all-gather",
    } <= titles
