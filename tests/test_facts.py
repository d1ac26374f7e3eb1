"""Page facts: complexity as radon computes it (on the standard library), risky calls by
bandit's check ids, idioms with their lines, and no facts without a tree."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from kwdocs.facts import page_facts
from radon.complexity import cc_visit


def _radon_functions(blocks):
    """radon's functions, methods and closures, flattened."""
    for block in blocks:
        if hasattr(block, "methods"):
            yield from _radon_functions(block.methods)
            yield from _radon_functions(block.inner_classes)
        else:
            yield block
            yield from _radon_functions(block.closures)


def test_complexity_matches_radon_on_the_standard_library(stdlib_root: Path) -> None:
    compared = 0
    for path in sorted(stdlib_root.glob("*.py")):
        source = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(source)
            expected = {
                (b.lineno, b.name): b.complexity for b in _radon_functions(cc_visit(source))
            }
        except (SyntaxError, ValueError):
            continue
        ours = {
            (f.line, f.qualname.rpartition(".")[2]): f.complexity
            for f in page_facts(tree).functions
        }
        # radon drops the methods of classes defined inside functions; everything it reports
        # must match exactly.
        mismatched = {k: (v, ours.get(k)) for k, v in expected.items() if ours.get(k) != v}
        assert not mismatched, (path.name, list(mismatched.items())[:5])
        compared += len(expected)
    assert compared > 5000


def facts_of(source: str):
    return page_facts(ast.parse(textwrap.dedent(source)))


def test_risky_calls_with_bandit_ids_and_lines() -> None:
    facts = facts_of(
        """\
        import pickle, subprocess, os, hashlib, tempfile, marshal
        import yaml
        from subprocess import run as sh

        eval("1")
        exec("x = 1")
        pickle.loads(b"")
        subprocess.call("ls", shell=True)
        subprocess.call(["ls"], shell=False)
        sh("ls", shell=True)
        os.system("ls")
        hashlib.md5(b"")
        hashlib.sha1(b"", usedforsecurity=False)
        tempfile.mktemp()
        marshal.loads(b"")
        yaml.load("a")
        yaml.load("a", Loader=yaml.SafeLoader)
        assert True
        """
    )
    found = [(f.code, f.line) for f in facts.risks]
    assert found == [
        ("B307", 5),
        ("B102", 6),
        ("B301", 7),
        ("B602", 8),
        ("B602", 10),
        ("B605", 11),
        ("B324", 12),
        ("B306", 14),
        ("B302", 15),
        ("B506", 16),
        ("B101", 18),
    ]


def test_idioms_with_lines() -> None:
    facts = facts_of(
        """\
        from __future__ import annotations
        import contextlib, enum, functools
        from abc import ABC, abstractmethod
        from dataclasses import dataclass
        from typing import TYPE_CHECKING, NamedTuple

        if TYPE_CHECKING:
            import os

        __all__ = ["Point"]

        @dataclass
        class Point:
            x: int

        class Color(enum.Enum):
            RED = 1

        class Base(ABC):
            __slots__ = ()

            @abstractmethod
            def run(self): ...

            @property
            def name(self):
                return "base"

        class Pair(NamedTuple):
            a: int

        @contextlib.contextmanager
        def opened():
            yield 1

        @functools.lru_cache(maxsize=None)
        def cached(n):
            return n

        async def main():
            with opened() as value:
                return value

        if __name__ == "__main__":
            main()
        """
    )
    idioms = {(f.code, f.line) for f in facts.idioms}
    assert {
        ("type-checking", 7),
        ("all", 10),
        ("dataclass", 12),
        ("enum", 16),
        ("abc", 19),
        ("slots", 20),
        ("abstractmethod", 22),
        ("property", 25),
        ("protocol", 29),
        ("context-manager", 32),
        ("generator", 33),
        ("cache", 36),
        ("async", 40),
        ("with", 41),
        ("main", 44),
    } <= idioms


def test_lengths_and_nested_qualnames() -> None:
    facts = facts_of(
        """\
        class A:
            def m(self, x):
                def inner():
                    return [i for i in range(x) if i]
                return inner() if x else None
        """
    )
    by_name = {f.qualname: f for f in facts.functions}
    assert set(by_name) == {"A.m", "A.m.inner"}
    assert (by_name["A.m"].length, by_name["A.m"].complexity) == (4, 2)
    assert by_name["A.m.inner"].complexity == 3


def test_no_tree_no_facts() -> None:
    facts = page_facts(None)
    assert not facts.parsed and facts.functions == [] and facts.risks == [] and facts.idioms == []


def test_calls_are_read_as_written_and_what_needs_inference_is_counted() -> None:
    from kwdocs.extract import extract_source
    from kwdocs.facts import with_calls

    source = textwrap.dedent(
        '''\
        import os
        from .util import helper


        class Shape(Base):
            def area(self, other):
                """Area."""
                self.check()
                self.parts.total()          # inference: what self.parts holds
                other.area()                # inference: a parameter
                os.path.join("a", helper())
                super().area(1)
                from . import geometry as geo
                geo.rect(1)
                local = make()
                local()                     # inference: a local
                def inner():
                    self.check()
                    return local.size()     # inference: the enclosing function's local
                inner()
                [p.scale() for p in self.items()]
                return len(other)

            @staticmethod
            def build(self):
                self.check()                # no receiver in a static method

            @classmethod
            def make(cls):
                return cls.build(cls)


        def outer():
            global total
            total = 1
            total()
        '''
    )
    extraction = extract_source("pkg/shapes.py", source.encode(), module="pkg.shapes")
    facts = page_facts(extraction.tree, extraction.text)
    calls = {c.qualname: (c.calls.split(), c.unresolved) for c in facts.calls}
    assert calls["Shape.area"] == (
        [
            "self.check",
            "os.path.join",
            "helper",
            "super().area",
            ":.geometry.rect",
            "make",
            "inner",
            "self.items",
            "len",
        ],
        4,
    )
    assert calls["Shape.area.inner"] == (["self.check"], 1)
    assert calls["Shape.build"] == ([], 1)
    assert calls["Shape.make"] == (["self.build"], 0)
    assert calls["outer"] == (["total"], 0)
    record = with_calls(extraction.record, facts)
    assert record.calls_known
    area = next(k for k in record.keywords if k.qualname == "Shape.area")
    assert area.calls.split()[0] == "self.check" and area.unresolved_calls == 4
    assert [d.qualname for d in facts.docstrings] == ["Shape.area"]


def test_notes_are_read_when_there_is_no_docstring() -> None:
    source = "# [Note: Why]\n# Because it is so.\n\nX = 1\n"
    facts = page_facts(ast.parse(source), source)
    assert [(n.title, n.text) for n in facts.notes] == [("Why", "Because it is so.")]
    documented = '"""Doc."""\n' + source
    assert page_facts(ast.parse(documented), documented).notes == []
