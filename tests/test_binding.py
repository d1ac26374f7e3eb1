"""The one resolution of the cursor (kwdocs.binding) that hover and definition share: what the
name at a position is, by Python's rules, followed through imports into the workspace, the
standard library and the builtins, and through the classes receivers evidently have."""

from __future__ import annotations

from pathlib import Path

import pytest
from kwdocs.binding import CursorResolver, Role
from kwdocs.config import load_settings
from kwdocs.lsp.workspace_state import Folder
from kwdocs.pipeline import index_root
from kwdocs.textlines import split_lines

FILES = {
    "app/__init__.py": "from app.models import User as User\n",
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
        "    def greet(self) -> str:\n"
        "        return self.name + self.role\n"
        "\n"
        "\n"
        "def make(name: str) -> User:\n"
        "    return User(name)\n"
    ),
    "app/views.py": (
        "import logging\n"
        "from concurrent.futures import Future\n"
        "\n"
        "from app import User\n"
        "from app.models import make\n"
        "\n"
        "log = logging.getLogger(__name__)\n"
        "\n"
        "\n"
        "def show(user: User, rows, flag, *, limit=3):\n"
        "    items = []\n"
        "    for row in rows:\n"
        "        items.append(row)\n"
        "    other = User('x')\n"
        "    other.save(force=True)\n"
        "    log.info(user.greet())\n"
        "    if flag:\n"
        "        label = 'a'\n"
        "    else:\n"
        "        label = 'b'\n"
        "    made = make(label)\n"
        "    print(f'{label} {made.greet()}', isinstance(made, User), len(items))\n"
        "    return [q for q in items][:limit], row.unknown, 'x'.join(items)\n"
        "\n"
        "\n"
        "def handle(path, *args: User, **options):\n"
        "    fut: Future[int] = Future()\n"
        "    with open(path) as stream:\n"
        "        stream.write(args.count(1))\n"
        "    return options.get('x'), fut.result()\n"
        "\n"
        "\n"
        "class Shape:\n"
        "    kind = 'shape'\n"
        "    label = kind + '!'\n"
        "\n"
        "    def describe(self) -> str:\n"
        "        return kind\n"
    ),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    root = tmp_path_factory.mktemp("binding") / "ws"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    settings = load_settings(root, {"cacheDir": str(root.parent / "cache")})
    index, _ = index_root(settings)
    return Folder(root.as_uri(), root, root.name, settings, index)


RESOLVER = CursorResolver()


def ask(folder: Folder, path: str, line: int, needle: str, occurrence: int = 1):
    """The answer at the ``occurrence``-th ``needle`` of a 1-based line: [(where, role)],
    where is ``path:line:col`` (paths outside the workspace by file name), and whether only
    inference could tell."""
    lines = split_lines((Path(folder.root) / path).read_text(encoding="utf-8"))
    col = -1
    for _ in range(occurrence):
        col = lines[line - 1].index(needle, col + 1)
    word = RESOLVER.word_at(lines, line, col + 1)
    assert word is not None, (line, needle)
    answer = RESOLVER.resolve(folder, folder.index.get(path), lines, line, word)
    found = []
    for target in answer.targets:
        place = Path(target.path).name if target.external else target.path
        found.append((f"{place}:{target.keyword.line}:{target.keyword.col}", target.role))
    return found, answer.infer


V = "app/views.py"


@pytest.mark.parametrize(
    ("line", "needle", "occurrence", "expected"),
    [
        # Locals, parameters, loop and comprehension variables: their bindings.
        (13, "row", 1, [(f"{V}:12:8", Role.LOCAL)]),
        (23, "limit", 1, [(f"{V}:10:36", Role.PARAMETER)]),
        (23, "q", 1, [(f"{V}:23:18", Role.LOCAL)]),
        # Every assignment that can reach the use: both branches of the if.
        (21, "label", 1, [(f"{V}:18:8", Role.LOCAL), (f"{V}:20:8", Role.LOCAL)]),
        # Names inside an f-string resolve like any name.
        (22, "label", 1, [(f"{V}:18:8", Role.LOCAL), (f"{V}:20:8", Role.LOCAL)]),
        (22, "greet", 1, [("app/models.py:12:8", Role.DEFINITION)]),  # return annotation
        # Through the import and the package's re-export to the class.
        (14, "User", 1, [("app/models.py:6:6", Role.DEFINITION)]),
        (4, "User", 1, [("app/models.py:6:6", Role.DEFINITION)]),
        # Receivers: x = Cls(...) and the base class; an annotated parameter.
        (15, "save", 1, [("app/models.py:2:8", Role.DEFINITION)]),
        (16, "greet", 1, [("app/models.py:12:8", Role.DEFINITION)]),
        (15, "force", 1, [("app/models.py:2:19", Role.PARAMETER)]),  # keyword argument
        # The standard library and the builtins: their stubs.
        (16, "info", 1, [("__init__.pyi", Role.DEFINITION)]),  # getLogger() -> Logger
        (13, "append", 1, [("builtins.pyi", Role.DEFINITION)]),  # a list
        (22, "isinstance", 1, [("builtins.pyi", Role.DEFINITION)]),
        (22, "len", 1, [("builtins.pyi", Role.DEFINITION)]),
        (23, "join", 1, [("builtins.pyi", Role.DEFINITION)]),  # a str literal's method
        (2, "Future", 1, [("_base.pyi", Role.DEFINITION)]),
        (29, "count", 1, [("builtins.pyi", Role.DEFINITION)]),  # *args is a tuple
        (30, "get", 1, [("builtins.pyi", Role.DEFINITION)]),  # **options is a dict
        (30, "result", 1, [("_base.pyi", Role.DEFINITION)]),  # x: Future[int]
        (2, "futures", 1, [("__init__.pyi", Role.MODULE)]),  # a module on an import line
    ],
)
def test_answers(workspace, line, needle, occurrence, expected):
    found, infer = ask(workspace, V, line, needle, occurrence)
    # Outside the workspace, files by name (overloads of a stub give several lines).
    shown = [(where if ".pyi" not in where else where.split(":")[0], role) for where, role in found]
    assert (list(dict.fromkeys(shown)), infer) == (expected, False)


def test_class_body_rules(workspace):
    # A class-body name is seen in the class body, not from its methods.
    [(where, role)] = ask(workspace, V, 35, "kind")[0]
    assert where == f"{V}:34:4" and role in (Role.ATTRIBUTE, Role.DEFINITION)
    assert ask(workspace, V, 38, "kind") == ([], False)


def test_self_attributes_and_class_fields(workspace):
    found, _ = ask(workspace, "app/models.py", 13, "name", 1)
    assert found == [("app/models.py:10:13", Role.ATTRIBUTE)]
    [(where, role)] = ask(workspace, "app/models.py", 13, "role", 1)[0]
    assert where == "app/models.py:7:4" and role in (Role.ATTRIBUTE, Role.DEFINITION)


def test_what_only_inference_can_tell_is_said_so(workspace):
    assert ask(workspace, V, 23, "unknown") == ([], True)  # an unannotated parameter's
    assert ask(workspace, V, 29, "write") == ([], True)  # what open() returns, via __enter__


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
        ("def f():\n    def name():\n        pass\n", "name", True),
        ("obj.name = 1\n", "name", False),  # an attribute, not the name
    ],
)
def test_may_bind_is_a_cheap_superset_of_bindings(source, name, expected):
    from kwdocs.binding import may_bind

    assert may_bind(source, name) is expected


def test_attributes_of_calls_and_super(tmp_path: Path):
    root = tmp_path / "ws"
    (root / "m.py").parent.mkdir(parents=True)
    (root / "m.py").write_text(
        "class Base:\n"
        "    def hello(self) -> str:\n"
        "        return 'base'\n"
        "\n"
        "\n"
        "class Child(Base):\n"
        "    def hello(self) -> str:\n"
        "        return super().hello() + Child().hello() + make().hello()\n"
        "\n"
        "\n"
        "def make() -> Base:\n"
        "    return Base()\n"
    )
    settings = load_settings(root, {"cacheDir": str(tmp_path / "cache")})
    index, _ = index_root(settings)
    folder = Folder(root.as_uri(), root, root.name, settings, index)
    # super().hello: the base's; Child().hello: the class's own; make().hello: by its
    # return annotation.
    assert ask(folder, "m.py", 8, "hello", 1)[0] == [("m.py:2:8", Role.DEFINITION)]
    assert ask(folder, "m.py", 8, "hello", 2)[0] == [("m.py:7:8", Role.DEFINITION)]
    assert ask(folder, "m.py", 8, "hello", 3)[0] == [("m.py:2:8", Role.DEFINITION)]
