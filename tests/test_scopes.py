"""Python's scoping rules over parsed source: which binding a name at a position refers to."""

from __future__ import annotations

import pytest
from kwdocs import scopes

SOURCE = """\
import os
x = 1
def f(a, b: int = x, *args, **kw):
    y = a + b
    for i, (j, k) in enumerate(y):
        print(i, j, k)
    with open(a) as fh:
        pass
    try:
        pass
    except Exception as err:
        print(err)
    z = [q * 2 for q in range(y) if q]
    if (w := 3):
        print(w)
    def inner():
        nonlocal y
        y = 2
        return y, x
    return inner
class C:
    attr = 1
    def m(self):
        return attr, self
    other = attr
lam = lambda v: v + x
def g():
    global x
    x = 5
    return x
"""


def _at(name: str, line: int, occurrence: int = 1) -> tuple[int, int]:
    """(line, column) of the ``occurrence``-th whole word ``name`` on a 1-based line."""
    import re

    text = SOURCE.split("\n")[line - 1]
    matches = [m.start() for m in re.finditer(rf"\b{name}\b", text)]
    return line, matches[occurrence - 1]


@pytest.mark.parametrize(
    ("name", "use", "binding", "kind", "scope"),
    [
        ("a", _at("a", 4), _at("a", 3), scopes.PARAM, "function"),
        ("b", _at("b", 4), _at("b", 3), scopes.PARAM, "function"),
        ("kw", _at("kw", 3), _at("kw", 3), scopes.PARAM, "function"),
        ("k", _at("k", 6), _at("k", 5), scopes.ASSIGN, "function"),
        ("fh", _at("fh", 7), _at("fh", 7), scopes.ASSIGN, "function"),
        ("err", _at("err", 12), _at("err", 11), scopes.ASSIGN, "function"),
        ("q", _at("q", 13, 1), _at("q", 13, 2), scopes.ASSIGN, "comprehension"),
        ("w", _at("w", 15), _at("w", 14), scopes.ASSIGN, "function"),  # walrus
        ("y", _at("y", 19), _at("y", 4), scopes.ASSIGN, "function"),  # nonlocal
        ("x", _at("x", 19), _at("x", 2), scopes.ASSIGN, "module"),
        ("x", _at("x", 3), _at("x", 2), scopes.ASSIGN, "module"),  # a default: outside
        ("inner", _at("inner", 20), _at("inner", 16), scopes.DEF, "function"),
        ("self", _at("self", 24), _at("self", 23), scopes.PARAM, "function"),
        ("attr", _at("attr", 25), _at("attr", 22), scopes.ASSIGN, "class"),
        ("v", _at("v", 26, 2), _at("v", 26, 1), scopes.PARAM, "lambda"),
        ("os", _at("os", 1), _at("os", 1), scopes.IMPORT, "module"),
        ("C", _at("C", 21), _at("C", 21), scopes.CLASS, "module"),
        ("x", _at("x", 30), _at("x", 29), scopes.ASSIGN, "module"),  # global
    ],
)
def test_lookup_finds_the_binding_python_would_use(name, use, binding, kind, scope):
    parsed = scopes.parse(SOURCE)
    assert parsed is not None
    found = scopes.lookup(parsed, name, *use)
    assert found is not None
    assert (found.line, found.col, found.kind, found.scope) == (*binding, kind, scope)


def test_class_names_are_not_seen_from_methods():
    parsed = scopes.parse(SOURCE)
    assert scopes.lookup(parsed, "attr", *_at("attr", 24)) is None


def test_names_bound_nowhere_are_none():
    parsed = scopes.parse(SOURCE)
    assert scopes.lookup(parsed, "print", *_at("print", 6)) is None


def test_the_last_binding_before_a_use_wins():
    source = "def f():\n    n = 1\n    n = n + 1\n    return n\n"
    parsed = scopes.parse(source)
    assert (scopes.lookup(parsed, "n", 4, 11).line, scopes.lookup(parsed, "n", 3, 8).line) == (
        3,
        2,
    )


def test_a_part_of_a_file_uses_the_file_lines():
    lines = ["x = 1", "class K:", "    def m(self, value):", "        return value"]
    source, offset = scopes.fragment(lines, 3, 4)
    parsed = scopes.parse(source, offset)
    found = scopes.lookup(parsed, "value", 4, 15)
    assert (found.line, found.col, found.kind) == (3, 16, scopes.PARAM)


def test_non_ascii_columns_are_code_points():
    source = "def f(é, ß):\n    return 'ü', ß\n"
    parsed = scopes.parse(source)
    found = scopes.lookup(parsed, "ß", 2, 16)
    assert (found.line, found.col) == (1, 9)


def test_match_captures_and_star_imports():
    source = "from mod import *\nmatch {}:\n    case {'a': aa, **rest}:\n        print(aa, rest)\n"
    parsed = scopes.parse(source)
    assert parsed.star_import
    assert (
        scopes.lookup(parsed, "rest", 4, 18).line,
        scopes.lookup(parsed, "rest", 4, 18).col,
    ) == (
        3,
        21,
    )
    assert scopes.lookup(parsed, "aa", 4, 14).col == 15


def test_unparsable_source_is_none():
    assert scopes.parse("def broken(:\n") is None


FLOW = """\
def f(flag, items, x=0):
    if flag:
        value = 1
    else:
        value = 2
    print(value)
    total = 0
    for item in items:
        total = total + item
        if item:
            break
    print(total)
    if flag:
        x = 3
    print(x)
    y = 1
    print(y)
    y = 2
    print(y)
    try:
        z = int(x)
    except ValueError:
        z = None
    finally:
        print(z)
    w = 1
    del w
    n = 1
    while n:
        n = n - 1
    return n
"""


def _flow_at(name: str, line: int, occurrence: int = 1) -> list[int]:
    import re

    text = FLOW.split("\n")[line - 1]
    col = [m.start() for m in re.finditer(rf"\b{name}\b", text)][occurrence - 1]
    parsed = scopes.parse(FLOW)
    assert parsed is not None
    return sorted(b.line for b in scopes.reaching(parsed, name, line, col))


@pytest.mark.parametrize(
    ("name", "line", "occurrence", "lines"),
    [
        ("value", 6, 1, [3, 5]),  # both branches of the if
        ("total", 9, 2, [7, 9]),  # the previous turn of the loop, or before it
        ("total", 12, 1, [7, 9]),  # after the loop: zero turns, or any
        ("x", 15, 1, [1, 14]),  # the parameter, or the branch that rebinds it
        ("y", 17, 1, [16]),  # not the assignment after the use
        ("y", 19, 1, [18]),
        ("z", 25, 1, [21, 23]),  # finally: the try body or the handler
        ("n", 30, 2, [28, 30]),  # a while loop's next turn
        ("n", 31, 1, [28, 30]),
        ("value", 3, 1, [3]),  # at a binding: that binding
    ],
)
def test_reaching_gives_every_assignment_that_can_reach_the_use(name, line, occurrence, lines):
    assert _flow_at(name, line, occurrence) == lines


def test_reaching_from_a_nested_function_sees_every_binding_of_the_enclosing_scope():
    source = "def f():\n    a = 1\n    def g():\n        return a\n    a = 2\n    return g\n"
    parsed = scopes.parse(source)
    assert parsed is not None
    assert sorted(b.line for b in scopes.reaching(parsed, "a", 4, 15)) == [2, 5]
