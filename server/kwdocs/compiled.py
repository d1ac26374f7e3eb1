"""Compiled builds of kwdocs's hot modules: the same source files compiled to C by mypyc (mypy's
compiler, the way black and mypy ship themselves). Walking parse trees and rendering pages is
most of an export after the parse itself; compiled, that work takes about a third less time.
Nothing else changes: the pure Python and the compiled build write the same bytes (tests compare
them), and the pure Python runs wherever there is no build.

The source stays the truth. A build lives in ``kwdocs/_compiled/<name>/``, named after a digest
of the compiled modules' sources and this interpreter's ABI; ``activate`` (run when kwdocs is
imported) loads those modules from the build of the sources as they are now and from nothing
else: after an edit, until the next build, kwdocs runs as pure Python. ``KWDOCS_PURE_PYTHON=1``
asks for the pure Python anyway.

``kwdocs compile`` makes the build of the current sources (mypy, setuptools and a C compiler
needed); the wheel build runs it (``hatch_build.py``), so ``pipx install .`` installs kwdocs
compiled, and ``scripts/test.sh`` and ``python -m benchmarks`` run it for a checkout.

A compiled module holds functions and plain classes. Its msgspec types live in a module beside it
that is not compiled (``fact_types.py`` beside ``facts.py``): mypyc drops the keywords of a class
statement, such as ``frozen=True`` or ``array_like=True``, without a word (python/mypy#21938).
``build`` refuses a module with such a class statement."""

from __future__ import annotations

# Nothing but os and sys at import: kwdocs/__init__.py imports this module, and under ``python -m
# kwdocs`` that happens before __main__ takes the working folder off sys.path, where a
# workspace's ``typing.py`` or ``hashlib.py`` would be imported in place of the standard
# library's. The rest is imported once a compiled module is, by then.
import os
import sys

MODULES: tuple[str, ...] = (
    # Indexing: the walks of a file's parse tree.
    "kwdocs.facts",
    "kwdocs.extract.python",
    "kwdocs.extract.signatures",
    "kwdocs.extract.pynodes",
    "kwdocs.extract.notes",
    # The engine's answers across files: imports, calls, edges, what a page links to.
    "kwdocs.resolve",
    "kwdocs.calls",
    "kwdocs.edges",
    "kwdocs.analyse",
    "kwdocs.pages",
    # Rendering.
    "kwdocs.render.docs_page",
    "kwdocs.render.docstrings",
    "kwdocs.render.markdown",
    "kwdocs.render.kw_page",
)
"""The compiled modules: the parse trees' walks, the pages' rendering, the call graph."""
_COMPILED = frozenset(MODULES)

PURE_ENV = "KWDOCS_PURE_PYTHON"
_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_BUILDS = os.path.join(_PACKAGE, "_compiled")
_LISTING = "MODULES"
"""In a build: one line per extension module (``name relative/path``), written last."""


class BuildError(RuntimeError):
    """A build could not be made (no compiler, a type error mypyc refuses, a class statement
    with keywords in a compiled module)."""


def source_path(module: str) -> str:
    return os.path.join(os.path.dirname(_PACKAGE), *module.split(".")) + ".py"


def build_name() -> str:
    """The folder name of the build of the compiled modules' current sources for this
    interpreter."""
    import hashlib

    digest = hashlib.blake2b(digest_size=10)
    for module in MODULES:
        digest.update(module.encode())
        digest.update(b"\0")
        with open(source_path(module), "rb") as source:
            digest.update(source.read())
        digest.update(b"\0")
    return f"{digest.hexdigest()}-{sys.implementation.cache_tag}"


def current_build() -> str | None:
    """The folder of the build of the current sources, if there is one."""
    folder = os.path.join(_BUILDS, build_name())
    return folder if os.path.isfile(os.path.join(folder, _LISTING)) else None


def _build_files(folder: str) -> dict[str, str]:
    """Module name → extension file of a build; empty when it lacks a compiled module."""
    files = {}
    with open(os.path.join(folder, _LISTING), encoding="utf-8") as listing:
        for line in listing.read().splitlines():
            name, _, relative = line.partition(" ")
            files[name] = os.path.join(folder, relative)
    return files if set(MODULES) <= files.keys() else {}


class _CompiledFinder:
    """First on ``sys.meta_path``: the compiled modules (and mypyc's shared library of them)
    from the build of the current sources, found at the first import of one of them; nothing
    when there is no such build. (No ``importlib.abc`` base class: see the imports above.)"""

    def __init__(self) -> None:
        self.files: dict[str, str] | None = None

    def build_files(self) -> dict[str, str]:
        if self.files is None:
            try:
                folder = current_build()
                self.files = _build_files(folder) if folder is not None else {}
            except OSError:
                self.files = {}
        return self.files

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> object:
        # Only a compiled module's import reads the build: ``python -m kwdocs`` looks for
        # ``kwdocs.__main__`` before it takes the working folder off sys.path.
        if fullname not in _COMPILED and not fullname.endswith("__mypyc"):
            return None
        file = self.build_files().get(fullname)
        if file is None:
            return None
        import importlib.machinery
        import importlib.util

        loader = importlib.machinery.ExtensionFileLoader(fullname, file)
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


_finder: _CompiledFinder | None = None


def activate() -> None:
    """Let the compiled modules load from the build of their current sources, when there is
    one and the pure Python is not asked for. Call it before any of them is imported."""
    global _finder
    if _finder is not None or os.environ.get(PURE_ENV) or sys.implementation.name != "cpython":
        return
    if not os.path.isdir(_BUILDS):
        return  # never built: not even a finder
    _finder = _CompiledFinder()
    sys.meta_path.insert(0, _finder)


def active() -> bool:
    """Whether the compiled modules are the ones that run (or will, once imported)."""
    return _finder is not None and bool(_finder.build_files())


def check_sources() -> list[str]:
    """What keeps the modules from being compiled faithfully: class statements with keywords."""
    problems = []
    for module in MODULES:
        with open(source_path(module), "rb") as source:
            problems += class_keywords(source.read(), module)
    return problems


def class_keywords(source: bytes, module: str) -> list[str]:
    """The class statements of a module's source that pass keywords (msgspec options, a
    metaclass), which mypyc would drop."""
    import ast

    return [
        f"{module}:{node.lineno}: class {node.name} has keywords, which mypyc drops: "
        "move it to a module that is not compiled"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and node.keywords
    ]


_SETUP = """\
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="kwdocs-compiled",
    ext_modules=mypycify({arguments!r}, opt_level="3", target_dir={target!r}),
)
"""

_MYPY_CONFIG = """\
[mypy]
follow_imports = silent
ignore_missing_imports = True
cache_dir = {cache}
"""


def build(*, quiet: bool = True) -> str:
    """Make the build of the current sources unless it is there already (older builds for this
    interpreter are removed); its folder. Raises BuildError with the compiler's words when it
    fails."""
    import importlib.machinery
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    problems = check_sources()
    if problems:
        raise BuildError("\n".join(problems))
    name = build_name()
    builds = Path(_BUILDS)
    folder = builds / name
    if current_build() is not None:
        return str(folder)
    try:
        import mypyc  # noqa: F401
    except ImportError as error:
        raise BuildError("mypy is not installed (pip install mypy setuptools)") from error
    above = os.path.dirname(_PACKAGE)
    with tempfile.TemporaryDirectory(prefix="kwdocs-mypyc-") as temp:
        work = Path(temp)
        config = work / "mypy.ini"
        config.write_text(_MYPY_CONFIG.format(cache=work / "mypy-cache"), encoding="utf-8")
        paths = [os.path.relpath(source_path(m), above) for m in MODULES]
        setup = work / "setup.py"
        arguments = ["--config-file", str(config), *paths]
        setup.write_text(_SETUP.format(arguments=arguments, target=str(work / "c")), "utf-8")
        staging = work / "out"
        # From the folder holding the package: mypy names the modules after their paths.
        command = [sys.executable, str(setup), "build_ext", "--build-lib", str(staging)]
        command += ["--build-temp", str(work / "objects")]
        done = subprocess.run(
            command,
            cwd=above,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, PURE_ENV: "1"},
        )
        if done.returncode != 0:
            raise BuildError(done.stdout[-4000:])
        if not quiet:
            print(done.stdout, end="")
        suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
        listing = []
        for file in sorted(staging.rglob("*")):
            suffix = next((s for s in suffixes if file.name.endswith(s)), None)
            if suffix is None:
                continue
            relative = file.relative_to(staging)
            module = ".".join([*relative.parent.parts, relative.name.removesuffix(suffix)])
            listing.append(f"{module} {relative.as_posix()}")
        try:
            builds.mkdir(exist_ok=True)
            partial = builds / f".{name}.{os.getpid()}"
            shutil.rmtree(partial, ignore_errors=True)
            shutil.copytree(staging, partial)
            # Written last: a build without its listing is never loaded.
            (partial / _LISTING).write_text("\n".join(listing) + "\n", encoding="utf-8")
            if current_build() is None:  # else another build of the same sources won the race
                shutil.rmtree(folder, ignore_errors=True)
                os.replace(partial, folder)
            shutil.rmtree(partial, ignore_errors=True)
        except OSError as error:
            raise BuildError(f"cannot write the build into {builds}: {error}") from error
    # Older builds for this interpreter go; another interpreter's build of the checkout stays.
    for other in builds.glob(f"*-{sys.implementation.cache_tag}"):
        if other.name != name:
            shutil.rmtree(other, ignore_errors=True)
    return str(folder)
