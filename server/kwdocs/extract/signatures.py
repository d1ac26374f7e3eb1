"""Parameter lists as ``ast.unparse`` writes them, at a fraction of its cost.

``ast.unparse`` is a general visitor: on a large tree, formatting every function's parameters
with it costs about a tenth of parsing the file. Annotations and defaults are nearly always
names, dotted names, subscripts, literals and ``X | Y``; those are written here, following
unparse's rules exactly, and anything else falls back to ``ast.unparse`` itself, so the text is
the same either way."""

from __future__ import annotations

import ast
import math

_Fallback = None


def _constant(value: object) -> str | None:
    if value is ...:
        return "..."
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return repr(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return _Fallback  # tuples, complex, inf and nan have special spellings


def _expr(node: ast.expr) -> str | None:
    """``node`` as unparse writes it where any expression may stand (no parentheses needed)."""
    kind = type(node)
    if kind is ast.Name:
        return node.id  # type: ignore[attr-defined]
    if kind is ast.Attribute:
        value = node.value  # type: ignore[attr-defined]
        if type(value) not in (ast.Name, ast.Attribute):
            return _Fallback  # ``3 .real``, calls…: unparse's own rules
        head = _expr(value)
        return None if head is None else f"{head}.{node.attr}"  # type: ignore[attr-defined]
    if kind is ast.Constant:
        if node.kind is not None:  # type: ignore[attr-defined]
            return _Fallback
        return _constant(node.value)  # type: ignore[attr-defined]
    if kind is ast.Subscript:
        value = node.value  # type: ignore[attr-defined]
        if type(value) not in (ast.Name, ast.Attribute):
            return _Fallback
        head = _expr(value)
        index = node.slice  # type: ignore[attr-defined]
        if type(index) is ast.Tuple and len(index.elts) == 1:
            return _Fallback  # ``X[a,]``
        is_tuple = type(index) is ast.Tuple and index.elts
        inner = _items(index.elts) if is_tuple else _expr(index)
        if head is None or inner is None:
            return _Fallback
        return f"{head}[{inner}]"
    if kind is ast.BinOp and type(node.op) is ast.BitOr:  # type: ignore[attr-defined]
        right = node.right  # type: ignore[attr-defined]
        if type(right) is ast.BinOp:
            return _Fallback  # a right-nested ``|`` needs parentheses
        left = _expr(node.left)  # type: ignore[attr-defined]
        other = _expr(right)
        if left is None or other is None:
            return _Fallback
        return f"{left} | {other}"
    if kind is ast.List:
        inner = _items(node.elts)  # type: ignore[attr-defined]
        return None if inner is None else f"[{inner}]"
    if kind is ast.Tuple:
        elements = node.elts  # type: ignore[attr-defined]
        inner = _items(elements)
        if inner is None:
            return _Fallback
        return f"({inner},)" if len(elements) == 1 else f"({inner})"
    if kind is ast.UnaryOp and type(node.op) is ast.USub:  # type: ignore[attr-defined]
        operand = node.operand  # type: ignore[attr-defined]
        if type(operand) is ast.Constant and type(operand.value) in (int, float):
            text = _expr(operand)
            return None if text is None else f"-{text}"
    return _Fallback


def _items(nodes: list[ast.expr]) -> str | None:
    parts = []
    for element in nodes:
        if type(element) in (ast.Starred, ast.Tuple):
            return _Fallback  # parentheses inside a list or subscript: unparse's rules
        text = _expr(element)
        if text is None:
            return _Fallback
        parts.append(text)
    return ", ".join(parts)


def _arg(arg: ast.arg) -> str | None:
    if arg.annotation is None:
        return arg.arg
    annotation = _expr(arg.annotation)
    return None if annotation is None else f"{arg.arg}: {annotation}"


def _parameter(arg: ast.arg, default: ast.expr | None) -> str | None:
    text = _arg(arg)
    if text is None or default is None:
        return text
    value = _expr(default)
    return None if value is None else f"{text}={value}"


def _parameters(args: ast.arguments) -> str | None:
    parts: list[str | None] = []
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    for number, (arg, default) in enumerate(zip(positional, defaults, strict=True), 1):
        parts.append(_parameter(arg, default))
        if number == len(args.posonlyargs):
            parts.append("/")
    if args.vararg is not None:
        vararg = _arg(args.vararg)
        parts.append(None if vararg is None else f"*{vararg}")
    elif args.kwonlyargs:
        parts.append("*")
    parts += (_parameter(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True))
    if args.kwarg is not None:
        kwarg = _arg(args.kwarg)
        parts.append(None if kwarg is None else f"**{kwarg}")
    if None in parts:
        return _Fallback
    return ", ".join(parts)  # type: ignore[arg-type]


def parameters(args: ast.arguments) -> str:
    """A parameter list exactly as ``ast.unparse(args)`` writes it."""
    text = _parameters(args)
    return text if text is not None else ast.unparse(args)


def annotation(node: ast.expr) -> str:
    """An expression exactly as ``ast.unparse(node)`` writes it."""
    text = _expr(node)
    return text if text is not None else ast.unparse(node)
