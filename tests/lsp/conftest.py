"""Fixtures of the language server tests: small real workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sample(make_tree) -> Path:
    """A small package: a base class, a subclass importing it, a helper, Markdown notes."""
    return make_tree(
        {
            "pkg/__init__.py": '"""The sample package."""\n',
            "pkg/base.py": (
                '"""Base classes."""\n'
                "\n"
                "\n"
                "class Shape:\n"
                '    """A geometric shape with an *area*."""\n'
                "\n"
                "    def area(self) -> float:\n"
                '        """Return the area of the shape."""\n'
                "        return 0.0\n"
                "\n"
                "\n"
                "def make_shape(kind: str = 'square') -> Shape:\n"
                '    """Build a shape of the given kind."""\n'
                "    return Shape()\n"
                "\n"
                "\n"
                "LIMIT = 10\n"
            ),
            "pkg/square.py": (
                '"""Squares."""\n'
                "\n"
                "from pkg.base import Shape, make_shape\n"
                "\n"
                "\n"
                "class Square(Shape):\n"
                '    """A square."""\n'
                "\n"
                "    def area(self) -> float:\n"
                '        """Side times side."""\n'
                "        return self.side * self.side\n"
                "\n"
                "    def double(self) -> float:\n"
                "        return self.area() * 2\n"
                "\n"
                "\n"
                "def build() -> Shape:\n"
                "    return make_shape('square')\n"
            ),
            "other/shape.py": "class Shape:\n    pass\n",
            "README.md": "# Notes\n\nUse `Shape.area` and `make_shape` to draw.\n",
        }
    )
