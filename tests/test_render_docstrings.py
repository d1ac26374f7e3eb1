"""Docstrings as structured Markdown: each construct on its own, then every docstring of PyTorch's
FSDP tree, checked by parsing the Markdown with markdown-it-py; and a property test that no input
makes the renderer raise or let HTML through."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kwdocs.extract.notes import module_notes
from kwdocs.extract.signature_types import LineList, ParamKind, SignatureParam
from kwdocs.extract.signatures import signature_parameters
from kwdocs.render.docstring_types import (
    CodeBlock,
    Docstring,
    ListBlock,
    Note,
    NoteKind,
    Paragraph,
    Param,
    ParamGroup,
    Raised,
    Returned,
)
from kwdocs.render.docstrings import (
    blocks_markdown,
    docstring_markdown,
    inline_markdown,
    params_markdown,
    parse_docstring,
    summary_source,
)
from markdown_it import MarkdownIt
from markdown_it.token import Token

md = MarkdownIt("commonmark").enable("table")
_ROLE_OR_LITERAL = re.compile(r":[\w:.+-]+:`|``")


def _doc(text: str, signature: tuple[SignatureParam, ...] = ()) -> Docstring:
    return parse_docstring(textwrap.dedent(text).strip("\n"), signature)


def _all_tokens(markdown: str) -> list[Token]:
    tokens = []
    for token in md.parse(markdown):
        tokens.append(token)
        tokens += token.children or []
    return tokens


def _prose(markdown: str) -> str:
    """The text a reader sees outside code."""
    return "".join(t.content for t in _all_tokens(markdown) if t.type == "text")


# ---------------------------------------------------------------------------------------------
# Inline markup


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("``x``", "`x`"),
        ("use ``a|b`` here", "use `a|b` here"),
        (":class:`torch.Tensor`", "`torch.Tensor`"),
        (":meth:`~torch.nn.Module.forward`", "`forward`"),
        (":py:func:`the title <pkg.target>`", "`the title`"),
        (":func:`!not_linked`", "`not_linked`"),
        (":ref:`the guide <guide-label>`", "the guide"),
        (":math:`x^2 + y`", "`x^2 + y`"),
        (":pep:`8`", "PEP 8"),
        ("`interpreted`", "`interpreted`"),
        ("`Target`_ reference", "Target reference"),
        (
            "`Xu et al. <https://arxiv.org/abs/2004.13336>`_",
            "[Xu et al.](https://arxiv.org/abs/2004.13336)",
        ),
        ("see https://x.org/a_b.", "see <https://x.org/a_b>."),
        ("`bad <javascript:alert(1)>`_", "bad (javascript:alert(1))"),
        ("*args and **kwargs", "\\*args and \\*\\*kwargs"),
        ("an *emphasis* and **strong ``x``** word", "an *emphasis* and **strong `x`** word"),
        ("a <b>c</b> & d", "a &lt;b&gt;c&lt;/b&gt; &amp; d"),
        ("``a````b``", "`a` `b`"),
        ("wow!`x <https://x.y>`_", "wow\\![x](https://x.y)"),
        ("# not a heading", "\\# not a heading"),
        ("ends with ``x``.", "ends with `x`."),
        ("line\nbreaks   and  blanks", "line breaks and blanks"),
        # Blanks other than single spaces between words: no-break and em spaces, a tab, edges.
        ("\u00a0padded\tby\u2003other blanks ", "padded by other blanks"),
        # reST's escaped blank joins markup and word, and is gone from the output (torch:
        # ``.grad``\ s, :attr:`dtype`\ s); elsewhere a backslash stays text.
        (":class:`nn.Module<torch.nn.Module>`\\ s)", "`nn.Module`s)"),
        ("complex :attr:`dtype`\\ s. In", "complex `dtype`s. In"),
        ("re\\ ``mark`` b", "re`mark` b"),
        ("plain \\ text", "plain \\\\ text"),
        ("``a\\ b`` c", "`a\\ b` c"),
    ],
)
def test_inline_markup(source: str, expected: str) -> None:
    assert inline_markdown(source) == expected


def test_inline_renders_as_text_code_emphasis_and_links() -> None:
    markdown = inline_markdown(
        "Use ``x`` or :class:`Y` <tag> **now**, see `docs <https://d.org/p>`_ [1]_"
    )
    children = md.parse(markdown)[1].children or []
    kinds = [c.type for c in children]
    assert "html_inline" not in kinds
    assert [c.content for c in children if c.type == "code_inline"] == ["x", "Y"]
    assert "strong_open" in kinds
    link = next(c for c in children if c.type == "link_open")
    assert link.attrGet("href") == "https://d.org/p"
    assert "<tag>" in _prose(markdown) and "[1]" in _prose(markdown)


# ---------------------------------------------------------------------------------------------
# Summary


@pytest.mark.parametrize(
    ("docstring", "expected"),
    [
        ("Return the value of ``a.b``. Not here.", "Return the value of ``a.b``."),
        (
            "Compute things, e.g. sums, i.e. totals. Then more.",
            "Compute things, e.g. sums, i.e. totals.",
        ),
        ("Wrapped\nfirst line. Second.", "Wrapped first line."),
        ("See Fig. 3 and Sec. 2 for this! Next.", "See Fig. 3 and Sec. 2 for this!"),
        ("It returns\n  1. a tree. Then more\n\nOther.", "It returns 1. a tree."),
        ('He said "done." Then left.', 'He said "done."'),
        ("No period at all", "No period at all"),
        ("Returns the sum.\nArgs:\n    x: the x", "Returns the sum."),
        ("Args:\n    hook: a hook. With a sentence.", ""),
        ("- a list\n- first", ""),
        (".. note:: first", ""),
        (">>> code()", ""),
        ("Title\n=====\n\nText.", ""),
        (":param x: first", ""),
        ("\n\n  \nLate start. Then.", "Late start."),
        ("Version 1.12 changed it. Then.", "Version 1.12 changed it."),
        ("Example::\n\n    code", ""),
        ("Usage::\n\n    code", "Usage:"),
    ],
)
def test_summary_is_the_first_sentence(docstring: str, expected: str) -> None:
    assert summary_source(docstring) == expected
    assert parse_docstring(docstring).summary == inline_markdown(expected)


def test_a_long_summary_is_never_cut_inside_a_word() -> None:
    long = "word " * 150 + "end of it"
    assert summary_source(long + "\n\nMore.") == long
    sentence = "x" * 600 + " ends. Next one."
    assert summary_source(sentence) == "x" * 600 + " ends."


# ---------------------------------------------------------------------------------------------
# Sections


def test_google_sections() -> None:
    signature = (
        SignatureParam("hook", ParamKind.POSITIONAL_OR_KEYWORD, "Callable[[Tensor], None]"),
        SignatureParam("stream", ParamKind.KEYWORD_ONLY, "Stream | None", "None"),
        SignatureParam("args", ParamKind.VAR_POSITIONAL),
        SignatureParam("kwargs", ParamKind.VAR_KEYWORD, "Any"),
    )
    doc = _doc(
        """
        Register a hook.

        Args:
            hook (Callable): The hook,
                called with ``reduce_output``.
            stream (Optional[Stream]): Stream to run on.
            count (int, optional): How many. (Default: ``3``)
            *args: Passed on.
            **kwargs: Passed on too.

        Keyword Arguments:
            flag (bool): A flag. Defaults to ``False``.

        Returns:
            Tuple[int, str]: The pair
            on two lines.

        Yields:
            int: numbers.

        Raises:
            ValueError: If bad.
            KeyError, IndexError: If missing.

        Note:
            Keep it short.

        Example:
            >>> register(print)
            True
        """,
        signature,
    )
    assert doc.summary == "Register a hook."
    assert doc.params[:5] == (
        Param(
            "hook",
            "Callable[[Tensor], None]",
            "",
            (Paragraph("The hook, called with `reduce_output`."),),
        ),
        Param("stream", "Stream | None", "None", (Paragraph("Stream to run on."),)),
        Param("count", "int", "3", (Paragraph("How many. (Default: `3`)"),)),
        Param("*args", "", "", (Paragraph("Passed on."),)),
        Param("**kwargs", "Any", "", (Paragraph("Passed on too."),)),
    )
    assert doc.params[5] == Param(
        "flag", "bool", "False", (Paragraph("A flag. Defaults to `False`."),), ParamGroup.KEYWORD
    )
    assert doc.returns == (Returned("", "Tuple[int, str]", (Paragraph("The pair on two lines."),)),)
    assert doc.yields == (Returned("", "int", (Paragraph("numbers."),)),)
    assert [r.exception for r in doc.raises] == ["ValueError", "KeyError", "IndexError"]
    assert doc.body == (
        Paragraph("Register a hook."),
        Note(NoteKind.NOTE, "", (Paragraph("Keep it short."),)),
    )
    assert doc.examples == (CodeBlock(">>> register(print)\nTrue", "pycon"),)
    markdown = docstring_markdown(doc)
    labels = [
        t.content
        for t in _all_tokens(markdown)
        if t.type == "text"
        and t.content
        in ("Parameters", "Keyword arguments", "Returns", "Yields", "Raises", "Examples")
    ]
    assert labels == ["Parameters", "Keyword arguments", "Returns", "Yields", "Raises", "Examples"]
    assert not any(t.type == "heading_open" for t in _all_tokens(markdown))


def test_example_section_with_a_literal_block() -> None:
    doc = _doc(
        """
        Wrap a module.

        Example::

            >>> model = FSDP(model)

        Prose after the example stays in the body.
        """
    )
    assert doc.examples == (CodeBlock(">>> model = FSDP(model)", "pycon"),)
    assert doc.body == (
        Paragraph("Wrap a module."),
        Paragraph("Prose after the example stays in the body."),
    )


def test_numpy_sections() -> None:
    doc = _doc(
        """
        Add numbers.

        Parameters
        ----------
        x : int, optional
            The first.
        y, z : float, default 1.5
            Two more.

        Returns
        -------
        total : int
            The total.
        float
            Another value.

        Raises
        ------
        ValueError
            If negative.

        See Also
        --------
        subtract : the opposite.
        """
    )
    assert [(p.name, p.annotation, p.default) for p in doc.params] == [
        ("x", "int", ""),
        ("y", "float", "1.5"),
        ("z", "float", "1.5"),
    ]
    assert doc.returns == (
        Returned("total", "int", (Paragraph("The total."),)),
        Returned("", "float", (Paragraph("Another value."),)),
    )
    assert doc.raises == (Raised("ValueError", (Paragraph("If negative."),)),)
    assert doc.body[-1] == Note(NoteKind.SEE_ALSO, "", (Paragraph("subtract : the opposite."),))


def test_rest_field_lists() -> None:
    doc = _doc(
        """
        Do it.

        :param int x: the x
        :param y: the y, see :func:`~pkg.mod.func`.
        :type y: List[str]
        :keyword flag: a flag
        :ivar size: the size
        :returns: a value
            on two lines
        :rtype: bool
        :raises ValueError: when bad
        """
    )
    assert [(p.name, p.annotation, p.group) for p in doc.params] == [
        ("x", "int", ParamGroup.PARAMETERS),
        ("y", "List[str]", ParamGroup.PARAMETERS),
        ("flag", "", ParamGroup.KEYWORD),
        ("size", "", ParamGroup.ATTRIBUTES),
    ]
    assert doc.params[1].description == (Paragraph("the y, see `func`."),)
    assert doc.returns == (Returned("", "bool", (Paragraph("a value on two lines"),)),)
    assert doc.raises == (Raised("ValueError", (Paragraph("when bad"),)),)
    assert doc.body == (Paragraph("Do it."),)


def test_signature_supplies_annotation_and_default_of_documented_params() -> None:
    node = ast.parse("def f(size: int = int(1e8), *, name='x'): ...").body[0]
    assert isinstance(node, ast.FunctionDef)
    signature = signature_parameters(
        node.args, LineList(["def f(size: int = int(1e8), *, name='x'): ..."])
    )
    doc = parse_docstring(
        "Args:\n    size (float): Size. (Default: ``5``)\n    name: A name.", signature
    )
    assert [(p.name, p.annotation, p.default) for p in doc.params] == [
        ("size", "int", "int(1e8)"),
        ("name", "", "'x'"),
    ]


# ---------------------------------------------------------------------------------------------
# Blocks


def test_lists_literal_blocks_doctests_and_notes() -> None:
    doc = _doc(
        """
        Intro line::

            raw  text
              kept

        - item *one*
        - item two,
          wrapped

          * nested a
          * nested b

        3. third
        4. fourth

        >>> x = 1
        >>> x
        1

        .. note:: A note on one line
           and its continuation.

        .. warning::

           Careful with ``x | y``.

        .. deprecated:: 1.2 Use :class:`Other`.
        """
    )
    assert doc.body[0] == Paragraph("Intro line:")
    assert doc.body[1] == CodeBlock("raw  text\n  kept", "python")
    bullets = doc.body[2]
    assert isinstance(bullets, ListBlock) and not bullets.ordered and len(bullets.items) == 2
    assert bullets.items[1][0] == Paragraph("item two, wrapped")
    assert isinstance(bullets.items[1][1], ListBlock)
    assert doc.body[3] == ListBlock(
        ((Paragraph("third"),), (Paragraph("fourth"),)), ordered=True, start=3
    )
    assert doc.body[4] == CodeBlock(">>> x = 1\n>>> x\n1", "pycon")
    assert doc.body[5] == Note(
        NoteKind.NOTE, "", (Paragraph("A note on one line and its continuation."),)
    )
    assert doc.body[6] == Note(NoteKind.WARNING, "", (Paragraph("Careful with `x | y`."),))
    assert doc.body[7] == Note(NoteKind.DEPRECATED, "1.2", (Paragraph("Use `Other`."),))
    tokens = md.parse(docstring_markdown(doc))
    kinds = [t.type for t in tokens]
    assert kinds.count("bullet_list_open") == 2 and kinds.count("ordered_list_open") == 1
    ordered = next(t for t in tokens if t.type == "ordered_list_open")
    assert ordered.attrGet("start") == 3
    fences = [(t.info, t.content) for t in tokens if t.type == "fence"]
    assert fences == [("python", "raw  text\n  kept\n"), ("pycon", ">>> x = 1\n>>> x\n1\n")]
    assert kinds.count("blockquote_open") == 3


def test_directives_titles_tables_and_definitions() -> None:
    doc = _doc(
        """
        Text.

        .. code-block:: c
           :linenos:

           int main(void);

        .. math::

           a^2 + b^2

        .. _target: https://example.com
        .. a comment
           over two lines

        .. autosummary::

           foo

        .. [1] A footnote.

        Section title
        -------------

        +---+---+
        | a | b |
        +---+---+

        ``FULL_SHARD``
            Shards everything.
        ``NO_SHARD``
            Shards nothing.

        Shape:
            - Input: a tensor
        """
    )
    assert doc.body == (
        Paragraph("Text."),
        CodeBlock("int main(void);", "c"),
        CodeBlock("a^2 + b^2", "math"),
        Note(NoteKind.OTHER, "autosummary", (Paragraph("foo"),)),
        Paragraph("\\[1\\] A footnote."),
        Paragraph("**Section title**"),
        CodeBlock("+---+---+\n| a | b |\n+---+---+", "text"),
        ListBlock(
            (
                (Paragraph("`FULL_SHARD`: Shards everything."),),
                (Paragraph("`NO_SHARD`: Shards nothing."),),
            )
        ),
        Paragraph("Shape:"),
        ListBlock(((Paragraph("Input: a tensor"),),)),
    )


def test_markdown_fences_in_docstrings_stay_code() -> None:
    doc = _doc(
        """
        Example:
        ```python
        x = `1`  # ``not a literal``
        ```
        After.
        """
    )
    assert CodeBlock("x = `1`  # ``not a literal``", "python") in doc.body
    # A language that is no plain name could end the fence line early: it is dropped.
    odd = _doc(".. code-block:: `x`<b>\n\n   <b>bold</b>\n\n```a`b\n<i>\n```")
    assert odd.body == (CodeBlock("<b>bold</b>", "python"), CodeBlock("<i>", "python"))


# ---------------------------------------------------------------------------------------------
# Tables


def _rows(markdown: str) -> list[list[str]]:
    """Cells of each table row, as markdown-it-py reads them (inline source)."""
    rows: list[list[str]] = []
    for token in md.parse(markdown):
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows and token.map is not None and len(rows[-1]) < 99:
            rows[-1].append(token.content)
    return rows


def test_pipes_and_backticks_stay_inside_their_cells() -> None:
    params = (
        Param("x", "int | None", "a|b", (Paragraph(inline_markdown("one | two ``c|d`` `e\\|f`")),)),
        Param("y", "", "", (Paragraph("plain"),)),
    )
    markdown = params_markdown(params)
    tokens = md.parse(markdown)
    assert [t.type for t in tokens].count("td_open") == 8  # 2 rows of 4 cells
    codes = [
        c.content
        for t in tokens
        if t.type == "inline"
        for c in t.children or []
        if c.type == "code_inline"
    ]
    # A pipe after one backslash (``e\|f``) reads as an escaped pipe in every GFM table, which
    # drops that backslash: the cell keeps its place, the code shows ``e|f``.
    assert codes == ["x", "int | None", "a|b", "c|d", "e|f", "y"]
    assert "one | two" in _prose(markdown)


def test_code_and_notes_in_a_description_continue_below_the_table() -> None:
    doc = _doc(
        """
        Args:
            policy (Callable): A policy.

                Example::

                    >>> policy(x)
            other: Plain.
        """
    )
    markdown = docstring_markdown(doc)
    assert "(more below)" in markdown
    tokens = md.parse(markdown)
    assert [t.type for t in tokens].count("td_open") == 6
    after = markdown.split("More on `policy`:", 1)[1]
    assert "```pycon\n>>> policy(x)\n```" in after


# ---------------------------------------------------------------------------------------------
# Any input


_FRAGMENTS = st.sampled_from(
    [
        "Args:\n",
        "    x (int): ",
        "    *args: ",
        "Returns:\n",
        "Raises:\n    ValueError: ",
        "Parameters\n----------\n",
        "x : int\n",
        ":param x: ",
        ":rtype: ",
        ".. note::",
        ".. code-block:: python\n",
        ".. code-block:: `x`<b>\n",
        "```<i>`\n",
        ".. deprecated:: ",
        ".. ",
        ">>> ",
        "- ",
        "* ",
        "1. ",
        "#. ",
        "::\n\n    ",
        "``",
        "`",
        ":class:`",
        ":ref:`a <b>`",
        "`t <https://a.b>`_",
        "<script>alert(1)</script>",
        "<!-- c -->",
        "&amp;",
        "&#x3C;",
        "\n\n",
        "\n",
        "    ",
        "**",
        "*",
        "|",
        "```",
        "~~~",
        "===\n",
        "+--+\n",
        "https://x.y/<a>",
        "<https://x>",
        "[a](javascript:alert(1))",
        "![i](x.png)",
        "\\",
        "Note:\n",
        "Example::\n",
    ]
)
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
_DOCSTRINGS = st.lists(st.one_of(_FRAGMENTS, _TEXT), max_size=30).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCSTRINGS)
def test_any_docstring_renders_without_error_or_html(text: str) -> None:
    signature = (SignatureParam("x", ParamKind.POSITIONAL_OR_KEYWORD, "int", "1"),)
    doc = parse_docstring(text, signature)
    for markdown in (docstring_markdown(doc), doc.summary, inline_markdown(text)):
        for token in _all_tokens(markdown):
            assert not token.type.startswith("html"), (text, markdown)
            if token.type == "link_open":
                assert token.attrGet("href").startswith(("https://", "http://")), markdown
            assert token.type != "image", markdown
    assert "\n" not in doc.summary
    summary_source(text)


# ---------------------------------------------------------------------------------------------
# PyTorch's FSDP tree


def _fsdp_docstrings(torch_root: Path) -> list[tuple[str, str, str, tuple[SignatureParam, ...]]]:
    """(file, name, docstring, signature) of every docstring under torch/distributed/fsdp."""
    found = []
    fsdp = torch_root / "torch" / "distributed" / "fsdp"
    for path in sorted(fsdp.rglob("*.py")):
        text = path.read_text()
        lines = LineList(text.split("\n"))
        for node in ast.walk(ast.parse(text)):
            if not isinstance(
                node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
            ):
                continue
            docstring = ast.get_docstring(node)
            if not docstring:
                continue
            signature: tuple[SignatureParam, ...] = ()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                signature = tuple(signature_parameters(node.args, lines))
            elif isinstance(node, ast.ClassDef):
                init = next(
                    (
                        n
                        for n in node.body
                        if isinstance(n, ast.FunctionDef) and n.name == "__init__"
                    ),
                    None,
                )
                if init is not None:
                    signature = tuple(signature_parameters(init.args, lines))
            name = getattr(node, "name", "<module>")
            found.append((str(path.relative_to(fsdp)), name, docstring, signature))
    return found


@pytest.fixture(scope="module")
def fsdp_docstrings(torch_root: Path) -> list[tuple[str, str, str, tuple[SignatureParam, ...]]]:
    found = _fsdp_docstrings(torch_root)
    assert len(found) > 300
    return found


def test_fsdp_markdown_has_no_rst_left_and_no_html(fsdp_docstrings) -> None:
    literals = 0
    for path, name, docstring, signature in fsdp_docstrings:
        doc = parse_docstring(docstring, signature)
        for markdown in (docstring_markdown(doc), doc.summary):
            tokens = _all_tokens(markdown)
            assert not any(t.type.startswith("html") for t in tokens), (path, name)
            prose = _prose(markdown)
            assert not _ROLE_OR_LITERAL.search(prose), (path, name, prose)
            literals += sum(t.type == "code_inline" for t in tokens)
    assert literals > 1000


def test_issue_files_literals_become_code_spans(fsdp_docstrings) -> None:
    """The issue counted 68 escaped literal pairs in ``_flat_param.py`` and 96 in ``wrap.py``."""
    for file, at_least in (("_flat_param.py", 68), ("wrap.py", 96)):
        spans = 0
        for path, _name, docstring, signature in fsdp_docstrings:
            if path == file:
                markdown = docstring_markdown(parse_docstring(docstring, signature))
                assert "\\`\\`" not in markdown
                spans += sum(t.type == "code_inline" for t in _all_tokens(markdown))
        assert spans >= at_least, file


_ARGS_ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_]\w*)\s*(?:\(.*\))?\s*:")


def _documented_args(docstring: str) -> list[str]:
    """Names in a Google ``Args:`` block, read independently: the lines at the block's first
    indentation that start with a name and a colon (after an optional type in parentheses)."""
    names: list[str] = []
    lines = docstring.split("\n")
    for number, line in enumerate(lines):
        if line.strip() not in ("Args:", "Arguments:") or line.startswith(" "):
            continue
        entries = [x for x in lines[number + 1 :] if x.strip()]
        if not entries:
            continue
        indent = len(entries[0]) - len(entries[0].lstrip())
        for entry in entries:
            width = len(entry) - len(entry.lstrip())
            if width < indent or width == 0:
                break
            match = _ARGS_ENTRY.match(entry.strip())
            if width == indent and match:
                names.append(match.group(1))
    return names


def _table_names(markdown: str) -> list[str]:
    names = []
    tokens = md.parse(markdown)
    for number, token in enumerate(tokens):
        if token.type == "tr_open" and tokens[number + 1].type == "td_open":
            cell = tokens[number + 2]
            names += [c.content for c in cell.children or [] if c.type == "code_inline"]
    return names


def test_fsdp_every_documented_arg_is_in_its_table(fsdp_docstrings) -> None:
    checked = 0
    for path, name, docstring, signature in fsdp_docstrings:
        documented = _documented_args(docstring)
        if not documented:
            continue
        table = _table_names(docstring_markdown(parse_docstring(docstring, signature)))
        missing = [arg for arg in documented if arg not in table]
        assert not missing, (path, name, missing)
        checked += len(documented)
    assert checked > 150


_INTERRUPTION = re.compile(r"(\d+[.)] |[-*+•] |>>>|\.\. |(Args|Returns|Raises|Example)s?:)")


def _opening_paragraph(docstring: str) -> str:
    return " ".join(docstring.strip().split("\n\n", 1)[0].split())


def test_fsdp_summaries_end_at_sentence_boundaries(fsdp_docstrings) -> None:
    empty = 0
    for path, name, docstring, _signature in fsdp_docstrings:
        summary = summary_source(docstring)
        if not summary:
            empty += 1
            continue
        paragraph = _opening_paragraph(docstring)
        assert paragraph.startswith(summary.rstrip(":")), (path, name)
        assert "Args:" not in summary and "Returns:" not in summary
        rest = paragraph[len(summary) :]
        # Either the summary is its whole opening paragraph (up to a list, a section or code
        # that interrupts it), or it ends a sentence followed by a blank.
        whole = not rest.strip() or rest.strip() == ":" or _INTERRUPTION.match(rest.lstrip())
        sentence = re.search(r"[.!?][\"')\]]*$", summary) and rest[:1].isspace()
        assert whole or sentence, (path, name, summary)
    assert empty < len(fsdp_docstrings) / 4


def test_fsdp_named_cases(fsdp_docstrings) -> None:
    by_name = {(path, name): (doc, sig) for path, name, doc, sig in fsdp_docstrings}
    # set_all_reduce_hook's docstring is its Args block: no summary, both parameters tabled.
    docstring, signature = by_name[("_fully_shard/_fully_shard.py", "set_all_reduce_hook")]
    doc = parse_docstring(docstring, signature)
    assert doc.summary == "" and doc.body == ()
    assert [(p.name, p.annotation, p.default) for p in doc.params] == [
        ("hook", "Callable[[torch.Tensor], None]", ""),
        ("stream", "torch.cuda.Stream | None", "None"),
    ]
    assert _table_names(docstring_markdown(doc)) == ["hook", "stream"]
    # ShardedState's docstring is a list of three states, not one paragraph.
    docstring, _ = by_name[("_fully_shard/_fsdp_param.py", "ShardedState")]
    tokens = md.parse(docstring_markdown(parse_docstring(docstring)))
    assert [t.type for t in tokens].count("list_item_open") == 3
    items = [t.children for t in tokens if t.type == "inline"]
    assert [c[0].content for c in items if c] == ["SHARDED", "SHARDED_POST_FORWARD", "UNSHARDED"]
    # The FSDP class: summary, lists, a parameter table, doctest examples.
    docstring, signature = by_name[("fully_sharded_data_parallel.py", "FullyShardedDataParallel")]
    doc = parse_docstring(docstring, signature)
    assert doc.summary == "A wrapper for sharding module parameters across data parallel workers."
    tokens = md.parse(docstring_markdown(doc))
    kinds = [t.type for t in tokens]
    assert "table_open" in kinds and "bullet_list_open" in kinds
    assert any(t.type == "fence" and t.info == "pycon" for t in tokens)
    params = {p.name: p for p in doc.params}
    assert params["process_group"].default == "None"
    assert "sharding_strategy" in params and "device_id" in params
    # MixedPrecision's ``.. note::`` directives become quoted notes.
    docstring, signature = by_name[("api.py", "MixedPrecision")]
    doc = parse_docstring(docstring, signature)
    notes = [b for b in doc.body if isinstance(b, Note)]
    assert len(notes) >= 5 and all(n.kind is NoteKind.NOTE for n in notes)
    assert [t.type for t in md.parse(docstring_markdown(doc))].count("blockquote_open") == len(
        notes
    )


# ---------------------------------------------------------------------------------------------
# Defects reviewers found on the torch pages (real torch text where the corpus has it)


def _torch_docstring(torch_root: Path, relpath: str, line: int) -> str:
    """The docstring whose string literal spans ``line`` of a torch file."""
    tree = ast.parse((torch_root / relpath).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
                and first.lineno <= line <= (first.end_lineno or first.lineno)
            ):
                docstring = ast.get_docstring(node)
                assert docstring is not None
                return docstring
    raise AssertionError(f"no docstring at {relpath}:{line}")


def _torch_note(torch_root: Path, relpath: str, title: str) -> str:
    """The text of a module note (a ``NOTE [ ... ]`` comment) of a torch file."""
    notes = module_notes((torch_root / relpath).read_text(encoding="utf-8"))
    return next(note.text for note in notes if note.title.strip() == title)


def test_warning_continuation_opening_with_a_role_is_kept(torch_root: Path) -> None:
    """An option is ``:name:`` and a blank; ``:ref:`x``` opening a line is text (dataloader)."""
    docstring = _torch_docstring(torch_root, "torch/utils/data/dataloader.py", 234)
    markdown = docstring_markdown(parse_docstring(docstring))
    assert "`data-loading-randomness` notes for random seed related questions" not in markdown
    assert "data-loading-randomness notes for random seed related questions." in markdown
    doc = _doc(
        """
        .. code-block:: python
           :linenos:
           :caption: x

           pass
        """
    )
    assert doc.body == (CodeBlock("pass", "python"),)


def test_directive_with_a_blank_before_its_colons(torch_root: Path) -> None:
    """``.. warning ::`` is ``.. warning::`` (nn.Module's hook registration functions)."""
    path = "torch/nn/modules/module.py"
    for line in (144, 170, 196, 220, 257, 330, 357, 1407, 1491):
        doc = parse_docstring(_torch_docstring(torch_root, path, line))
        warnings = [b for b in doc.body if isinstance(b, Note) and b.kind is NoteKind.WARNING]
        assert warnings, line
    doc = parse_docstring(_torch_docstring(torch_root, path, 144))
    assert doc.body[1] == Note(
        NoteKind.WARNING, "", (Paragraph("This adds global state to the `nn.Module` module"),)
    )


def test_roles_in_docstring_types_become_code(torch_root: Path) -> None:
    """``device (:class:`torch.device`)``: the type is ``torch.device`` (Module.to)."""
    doc = parse_docstring(_torch_docstring(torch_root, "torch/nn/modules/module.py", 1294))
    kinds = {p.name: p.annotation for p in doc.params}
    assert kinds["device"] == "torch.device" and kinds["dtype"] == "torch.dtype"
    assert kinds["tensor"] == "torch.Tensor"
    table = params_markdown(doc.params)
    assert "| `device` | `torch.device` |" in table and ":class:" not in table
    doc = _doc(
        """
        :param x: the x.
        :type x: :class:`~torch.Tensor` or ``None``
        :rtype: :class:`torch.Tensor`
        """
    )
    assert doc.params[0].annotation == "Tensor or None"
    assert doc.returns == (Returned("", "torch.Tensor"),)


def test_image_and_object_directives(torch_root: Path) -> None:
    """``.. image::`` is a line naming the image; ``.. function:: sig`` shows the signature."""
    doc = parse_docstring(_torch_docstring(torch_root, "torch/optim/lr_scheduler.py", 375))
    markdown = docstring_markdown(doc)
    assert "Image: `../scripts/lr_scheduler_images/LambdaLR.png`" in markdown
    assert "> image" not in markdown
    doc = parse_docstring(_torch_docstring(torch_root, "torch/nn/modules/module.py", 1259))
    markdown = docstring_markdown(doc)
    assert "> function" not in markdown and ":noindex:" not in markdown
    assert "`to(device=None, dtype=None, non_blocking=False)`" in markdown
    assert "`to(memory_format=torch.channels_last)`" in markdown


def test_hanging_indent_is_prose_not_a_definition(torch_root: Path) -> None:
    """A sentence continued on a more indented line stays one paragraph, its text unchanged
    (no colon inserted); a short term over its definition is still a definition list."""
    docstring = _torch_docstring(torch_root, "torch/_dynamo/eval_frame.py", 389)
    assert parse_docstring(docstring).body == (
        Paragraph(
            "Given a code object or a callable object, retrieve the cache entries stored in "
            "this code."
        ),
    )
    note = _torch_note(torch_root, "torch/utils/checkpoint.py", "Nestable Checkpoint")
    body = parse_docstring(note, summary=False).body
    assert not any(isinstance(block, ListBlock) for block in body[:8])
    texts = [block.text for block in body if isinstance(block, Paragraph)]
    assert (
        "Rule 1. Saved tensors are managed by inner-most checkpoint only and hidden from any "
        "outer layers of checkpoint." in texts
    )
    assert (
        "Implication: To recompute any given saved tensor, we need to recompute all of the "
        "checkpoints wrapping it." in texts
    )
    markdown = blocks_markdown(body)
    for inserted in ("hidden:", "its:", "all of:", "currently:", "tensors we:"):
        assert inserted not in markdown
    doc = _doc(
        """
        The current supported data types are
            torch.Tensor, DTensor, int, float, str, list, dict, None.

        ``FULL_SHARD``
            Shards everything.
        padding_mode
            one of ``'zeros'`` or ``'reflect'``.
        """
    )
    assert doc.body == (
        Paragraph(
            "The current supported data types are torch.Tensor, DTensor, int, float, str, "
            "list, dict, None."
        ),
        ListBlock(
            (
                (Paragraph("`FULL_SHARD`: Shards everything."),),
                (Paragraph("padding_mode: one of `'zeros'` or `'reflect'`."),),
            )
        ),
    )


def test_centred_separator_is_text_not_nested_lists(torch_root: Path) -> None:
    note = _torch_note(torch_root, "torch/utils/checkpoint.py", "Nestable Checkpoint")
    markdown = blocks_markdown(parse_docstring(note, summary=False).body)
    assert "\\* \\* \\* \\*" in markdown.split("\n")
    assert "- - -" not in markdown
    doc = _doc(
        """
        Text.

        - - -

        * one
        * two
        """
    )
    assert doc.body[:2] == (Paragraph("Text."), Paragraph("\\- - -"))
    assert doc.body[2] == ListBlock(((Paragraph("one"),), (Paragraph("two"),)))


def test_indented_code_after_a_colon_keeps_its_lines(torch_root: Path) -> None:
    note = _torch_note(torch_root, "torch/utils/checkpoint.py", "Nestable Checkpoint")
    body = parse_docstring(note, summary=False).body
    codes = [block.code for block in body if isinstance(block, CodeBlock)]
    assert codes[0] == (
        "def fn(x):\n"
        "  y = x.sin()\n"
        "  z = y.cos()\n"
        "  gx, = torch.autograd.grad(z, x, retains_grad=True)\n"
        "  return gx, z\n"
        "\n"
        "out = checkpoint(fn)(inp)\n"
        "out.backward()"
    )
    assert codes[1].startswith("def fn(x):\n  y = x.sin()                           # (1)\n")
    assert codes[1].endswith("out.backward()                          # (5)")
    doc = _doc(
        """
        For example:
            x = torch.ones(3)
            y = f(x)

        Shape:
            - Input: a tensor
        rdzv_params = RendezvousParameters(
            backend="etcd",
        )
        """
    )
    assert doc.body == (
        Paragraph("For example:"),
        CodeBlock("x = torch.ones(3)\ny = f(x)", "python"),
        Paragraph("Shape:"),
        ListBlock(((Paragraph("Input: a tensor"),),)),
        CodeBlock('rdzv_params = RendezvousParameters(\n    backend="etcd",\n)', "python"),
    )


def test_backslash_escapes_in_prose(torch_root: Path) -> None:
    """reST's backslash escapes the next character: ``x``\\s reads "`x`s" (lr_scheduler);
    ``\\*args`` reads "*args". Other backslashes (Windows paths in plain docstrings) stay."""
    doc = parse_docstring(_torch_docstring(torch_root, "torch/optim/lr_scheduler.py", 110))
    markdown = docstring_markdown(doc)
    assert 'optimizer\'s `param_group["lr"]`s. When restoring' in markdown
    assert "\\s" not in markdown
    assert (
        inline_markdown(r"``x``\s and :attr:`dtype`\ s and `i`\th") == "`x`s and `dtype`s and `i`th"
    )
    assert inline_markdown(r"\*args, \*\*kwargs and min\_") == "\\*args, \\*\\*kwargs and min\\_"
    assert _prose(inline_markdown(r"\*args, \*\*kwargs and ``x``")) == "*args, **kwargs and "
    assert _prose(inline_markdown(r"C:\Documents and Settings\<username>")) == (
        "C:\\Documents and Settings\\<username>"
    )
    assert inline_markdown(r"``a``\\s") == "`a`\\\\s"


def test_malformed_literal_does_not_swallow_a_role(torch_root: Path) -> None:
    """``use_reentrant=True` (one closing backtick): the role after it is still code."""
    doc = parse_docstring(_torch_docstring(torch_root, "torch/utils/checkpoint.py", 553))
    markdown = docstring_markdown(doc)
    assert ":func:" not in _prose(markdown)
    assert "please see `checkpoint` for the important considerations" in markdown
    assert "If you are using the \\``use_reentrant=True` variant" in markdown
    tokens = _all_tokens(inline_markdown("the ``use_reentrant=True` variant"))
    assert [(t.type, t.content) for t in tokens if t.type in ("text", "code_inline")] == [
        ("text", "the `"),
        ("code_inline", "use_reentrant=True"),
        ("text", " variant"),
    ]


def test_line_over_an_indented_list_is_no_hanging_indent() -> None:
    """``Outputs: output, h_n`` over a bulleted list (nn.RNN): a paragraph, then the list."""
    doc = _doc(
        """
        Outputs: output, h_n
            * **output**: the output.
            * **h_n**: the last hidden state.
        """
    )
    assert doc.body == (
        Paragraph("Outputs: output, h_n"),
        ListBlock(
            (
                (Paragraph("**output**: the output."),),
                (Paragraph("**h_n**: the last hidden state."),),
            )
        ),
    )
