"""Parameter lists and annotations are written exactly as ``ast.unparse`` writes them."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest
from kwdocs.extract.signatures import _expr, _parameters, annotation, parameters

TRICKY = [
    "def f(a, b=1, /, c: int = 2, *args: str, d, e: 'x' = -1.5, **kw: dict[str, int]): ...",
    "def f(*, a=(), b=(1,), c=(1, 2), d=[1, (2, 3)], e=..., f=None, g=True): ...",
    "def f(a: int | None | str = b'x', b: Optional[int | None] = 0x10, c: Tuple[int,] = 1): ...",
    "def f(a: Dict[str, List[Tuple[int, ...]]] = {}, b=lambda x: x, c=u'u', d=1e400): ...",
    "def f(a: int | (str | None) = -x, b: x[1:2] = not y, c=3 .real, d=1j, e: 'a' 'b' = 0): ...",
    "def f(a: Callable[[int], str] = print, b: Literal['a', \"b\"] = 'it''s', c=f'{x}'): ...",
    "def f(a: x.y.z[p.q] = a.b, b: tuple[()] = (), c: list[*Ts] = [*a], d=-(-1)): ...",
    "def f(a, /): ...",
    "def f(*args, **kwargs) -> Iterator[tuple[int, str]] | None: ...",
    "def f(a=1 if x else 2, b=(yield), c=await z) -> 'Forward[Ref]': ...",
]


@pytest.mark.parametrize("source", TRICKY)
def test_tricky_parameters_match_unparse(source: str) -> None:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    assert parameters(node.args) == ast.unparse(node.args)
    if node.returns is not None:
        assert annotation(node.returns) == ast.unparse(node.returns)


def test_common_shapes_take_the_fast_path() -> None:
    node = ast.parse("def f(a, b: int = 1, *c: str, d: dict[str, x.Y] | None = None): ...")
    assert isinstance(node.body[0], ast.FunctionDef)
    assert _parameters(node.body[0].args) is not None
    # Shapes with unparse's own rules are left to it.
    assert _expr(ast.parse("x[1:2]", mode="eval").body) is None
    assert _expr(ast.parse("a | (b | c)", mode="eval").body) is None


def test_every_function_of_the_standard_library_matches_unparse(stdlib_root: Path) -> None:
    """An oracle over real code: a third of the standard library's modules."""
    files = sorted(
        p
        for p in stdlib_root.rglob("*.py")
        if "site-packages" not in p.relative_to(stdlib_root).parts
    )[::3]
    checked = 0
    for path in files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert parameters(node.args) == ast.unparse(node.args), f"{path}:{node.lineno}"
                if node.returns is not None:
                    assert annotation(node.returns) == ast.unparse(node.returns)
                checked += 1
    assert checked > 10_000
