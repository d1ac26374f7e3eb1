"""Sources with ``@overload`` declarations, shared by the engine, page and hover tests."""

IMPL = (
    "from typing import overload\n"
    "import typing as t\n"
    "\n"
    "\n"
    "@overload\n"
    "def pick(x: int) -> int: ...\n"
    "\n"
    "\n"
    "@t.overload\n"
    "def pick(x: str) -> str: ...\n"
    "\n"
    "\n"
    "def pick(x):\n"
    '    """Return ``x`` unchanged. Longer text follows."""\n'
    "    return x\n"
    "\n"
    "\n"
    "def plain(y):\n"
    '    """Just one."""\n'
    "    return y\n"
)
STUB = (
    "from typing import overload\n"
    "\n"
    "@overload\n"
    "def pick(x: int) -> int: ...\n"
    "@overload\n"
    "def pick(x: str) -> str: ...\n"
)
