"""Which tree-sitter extractor reads which file: suffix (or file name) → language → extractor,
for ``extract/__init__.py`` to consult.

``.h`` is C++: a C header parses with the C++ grammar nearly always (C++ is close to a
superset of C; what breaks is C code using C++ keywords as names, ``class`` or ``new``), while
C++ headers (PyTorch's 9,328) do not parse as C at all. ``.c`` alone is C. CUDA files use the
CUDA grammar, C++ with ``__global__`` and friends.
"""

from __future__ import annotations

import enum
import functools
import importlib.util
from collections.abc import Callable

from kwdocs.extract.result import LanguageResult

Extractor = Callable[[str, str, list[str]], LanguageResult]


class NativeLanguage(str, enum.Enum):
    """A language read with tree-sitter; the value is ``FileRecord.language``."""

    C = "c"
    CPP = "cpp"
    CUDA = "cuda"
    YAML = "yaml"
    CMAKE = "cmake"
    SHELL = "shell"


# The languages whose files ``#include`` one another (``FileRecord.language`` values).
C_FAMILY = frozenset({NativeLanguage.C.value, NativeLanguage.CPP.value, NativeLanguage.CUDA.value})

SUFFIXES: dict[str, NativeLanguage] = {
    ".c": NativeLanguage.C,
    ".h": NativeLanguage.CPP,
    ".hpp": NativeLanguage.CPP,
    ".hh": NativeLanguage.CPP,
    ".hxx": NativeLanguage.CPP,
    ".cc": NativeLanguage.CPP,
    ".cpp": NativeLanguage.CPP,
    ".cxx": NativeLanguage.CPP,
    ".inl": NativeLanguage.CPP,
    ".cu": NativeLanguage.CUDA,
    ".cuh": NativeLanguage.CUDA,
    ".yaml": NativeLanguage.YAML,
    ".yml": NativeLanguage.YAML,
    ".cmake": NativeLanguage.CMAKE,
    ".sh": NativeLanguage.SHELL,
    ".bash": NativeLanguage.SHELL,
}
FILE_NAMES: dict[str, NativeLanguage] = {"cmakelists.txt": NativeLanguage.CMAKE}
# The packaged grammar (the ``tree_sitter_<value>`` module) each language is parsed with.
GRAMMAR_MODULES: dict[NativeLanguage, str] = {
    NativeLanguage.C: "c",
    NativeLanguage.CPP: "cpp",
    NativeLanguage.CUDA: "cuda",
    NativeLanguage.YAML: "yaml",
    NativeLanguage.CMAKE: "cmake",
    NativeLanguage.SHELL: "bash",
}
# What pages and messages call each language.
DISPLAY_NAMES: dict[NativeLanguage, str] = {
    NativeLanguage.C: "C",
    NativeLanguage.CPP: "C++",
    NativeLanguage.CUDA: "CUDA",
    NativeLanguage.YAML: "YAML",
    NativeLanguage.CMAKE: "CMake",
    NativeLanguage.SHELL: "shell",
}
# Grammars that are not dependencies of kwdocs (tree-sitter-cmake is source-only on the package
# index, so it is the ``cmake`` extra): a file of their language may have to be read as text.
OPTIONAL_GRAMMARS = (NativeLanguage.CMAKE,)
# The extra that installs each optional grammar.
EXTRAS: dict[NativeLanguage, str] = {NativeLanguage.CMAKE: "cmake"}


def native_language(path: str) -> NativeLanguage | None:
    """The tree-sitter language of a path (case-insensitive), or None."""
    lower = path.lower()
    name = lower.rsplit("/", 1)[-1]
    found = FILE_NAMES.get(name)
    if found is not None:
        return found
    dot = name.rfind(".")
    return SUFFIXES.get(name[dot:]) if dot > 0 else None


@functools.cache
def grammar_installed(language: NativeLanguage) -> bool:
    """Whether the language's grammar can be imported (looked up, not imported: a workspace
    without such files never loads it)."""
    try:
        return importlib.util.find_spec(f"tree_sitter_{GRAMMAR_MODULES[language]}") is not None
    except (ImportError, ValueError):  # a finder refusing it, a half-removed module
        return False


def grammars_key() -> str:
    """Which optional grammars this process has, for the record cache's header: records made
    without a grammar (files read as text) are made again once it is installed."""
    return ",".join(language.value for language in OPTIONAL_GRAMMARS if grammar_installed(language))


def extractor(language: NativeLanguage) -> Extractor:
    """The extractor of a language (imported on first use: a Python-only workspace never loads
    a grammar)."""
    if language is NativeLanguage.C:
        from kwdocs.extract.cfamily import extract_c

        return extract_c
    if language is NativeLanguage.CPP:
        from kwdocs.extract.cfamily import extract_cpp

        return extract_cpp
    if language is NativeLanguage.CUDA:
        from kwdocs.extract.cfamily import extract_cuda

        return extract_cuda
    if language is NativeLanguage.YAML:
        from kwdocs.extract.yaml import extract_yaml

        return extract_yaml
    if language is NativeLanguage.CMAKE:
        from kwdocs.extract.cmake import extract_cmake

        return extract_cmake
    from kwdocs.extract.shell import extract_shell

    return extract_shell
