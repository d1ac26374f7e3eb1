"""Go-to-definition without type inference: which answers the index and Python's scopes give
on their own (the server asks jedi only when ``definition_candidates`` says so)."""

from __future__ import annotations

from pathlib import Path

import pytest
from kwdocs.config import load_settings
from kwdocs.cursor import word_at
from kwdocs.definer import definition_candidates
from kwdocs.lsp.workspace_state import Folder
from kwdocs.pipeline import index_root
from kwdocs.resolve import Resolver

FILES = {
    "app/__init__.py": "",
    "app/models.py": (
        "class Base:\n"
        "    def save(self, force=False):\n"
        "        return force\n"
        "\n"
        "\n"
        "class User(Base):\n"
        "    role: str = 'user'\n"
        "\n"
        "    def __init__(self, name):\n"
        "        self.name = name\n"
        "\n"
        "    def greet(self):\n"
        "        return self.name + self.role\n"
    ),
    "app/views.py": (
        "import logging\n"
        "\n"
        "from app.models import User\n"
        "\n"
        "log = logging.getLogger(__name__)\n"
        "\n"
        "\n"
        "def show(user: User, rows, *, limit=3):\n"
        "    items = []\n"
        "    for row in rows:\n"
        "        items.append(row)\n"
        "    other = User('x')\n"
        "    other.save(force=True)\n"
        "    log.info(user.greet())\n"
        "    return [q for q in items][:limit], row.unknown\n"
        "\n"
        "\n"
        "def handle(path, *args: User, **options):\n"
        "    with open(path) as stream, User(path) as user:\n"
        "        stream.write(args.count(1))\n"
        "    return options.get('x'), user.save\n"
    ),
}


@pytest.fixture
def workspace(make_tree) -> tuple[Folder, Resolver]:
    root = make_tree(FILES)
    settings = load_settings(root)
    index, _ = index_root(settings)
    folder = Folder(root.as_uri(), root, root.name, settings, index)
    return folder, Resolver()


def _ask(workspace, path: str, line: int, needle: str, occurrence: int = 1):
    """(answers as (path, 1-based line, column), whether inference is needed) at a needle of a
    1-based line."""
    folder, resolver = workspace
    lines = (Path(folder.root) / path).read_text(encoding="utf-8").split("\n")
    col = -1
    for _ in range(occurrence):
        col = lines[line - 1].index(needle, col + 1)
    word = word_at(lines[line - 1], col + 1)
    record = folder.index.get(path)
    found, infer = definition_candidates(resolver, [folder], folder, record, lines, word, line)
    return [(c.path, c.keyword.line, c.keyword.col) for c in found], infer


@pytest.mark.parametrize(
    ("line", "needle", "occurrence", "expected"),
    [
        (11, "row", 1, [("app/views.py", 10, 8)]),  # a loop variable
        (15, "limit", 1, [("app/views.py", 8, 30)]),  # a keyword-only parameter
        (15, "q", 1, [("app/views.py", 15, 18)]),  # a comprehension variable
        (11, "append", 1, []),  # a method of a list: not the workspace's
        (14, "info", 1, []),  # a module-level logger of the logging library
        (14, "greet", 1, [("app/models.py", 12, 8)]),  # an annotated parameter
        (13, "save", 1, [("app/models.py", 2, 8)]),  # inherited, x = Cls(...)
        (13, "force", 1, [("app/models.py", 2, 19)]),  # keyword argument → parameter
        (12, "User", 1, [("app/models.py", 6, 6)]),  # through the import
    ],
)
def test_answers_without_inference(workspace, line, needle, occurrence, expected):
    assert _ask(workspace, "app/views.py", line, needle, occurrence) == (expected, False)


def test_self_attributes_and_class_fields(workspace):
    assert _ask(workspace, "app/models.py", 13, "name", 1) == ([("app/models.py", 10, 13)], False)
    assert _ask(workspace, "app/models.py", 13, "role", 1) == ([("app/models.py", 7, 4)], False)


@pytest.mark.parametrize(
    ("line", "needle"),
    [(20, "write"), (20, "count"), (21, "get")],  # a file object, a tuple, a dict
)
def test_receivers_of_builtin_types_are_not_the_workspace(workspace, line, needle):
    assert _ask(workspace, "app/views.py", line, needle) == ([], False)


def test_an_unknown_receiver_is_left_to_inference(workspace):
    _, infer = _ask(workspace, "app/views.py", 15, "unknown")
    assert infer


@pytest.mark.parametrize(
    ("source", "name", "expected"),
    [
        ("import os\nx = len(y)\n", "len", False),  # an unrelated import binds nothing
        ("global other\nprint(len(x))\n", "len", False),
        ("import len.sub\n", "len", True),
        ("from m import (\n    a,\n    name,\n)\n", "name", True),
        ("from m import a, name\n", "name", True),
        ("from m import aname\n", "name", False),
        ("global a, name\n", "name", True),
        ("for i, name in pairs:\n    pass\n", "name", True),
        ("with open(p) as name:\n    pass\n", "name", True),
        ("if (name := f()):\n    pass\n", "name", True),
        ("obj.name = 1\n", "name", False),  # an attribute, not the name
    ],
)
def test_may_bind_is_a_cheap_superset_of_bindings(source, name, expected):
    from kwdocs.definer import may_bind

    assert may_bind(source, name) is expected
