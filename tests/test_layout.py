"""The shape of the package: no import cycle, the engine never imports the language server, and
each question has one implementation (docs/architecture.md, "One engine, one answer")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "server" / "kwdocs"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """The kwdocs modules a file imports (at module level only, or anywhere)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.If) and top_level_only:
            continue  # ``if TYPE_CHECKING:`` imports are for the type checker only
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kwdocs"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if not base.startswith("kwdocs"):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py")
                found.add(candidate if is_module.exists() else base)
    return found


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_no_import_cycle_at_module_level() -> None:
    modules = _sources()
    graph = {
        name: _imports(path, top_level_only=True) & set(modules) for name, path in modules.items()
    }
    # A package's __init__ importing its own modules is how packages work, not a cycle.
    for name, targets in graph.items():
        targets.discard(name)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(graph[name]):
            if name.startswith(target + ".") or target.startswith(name + "."):
                continue  # a package and its own submodules
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_the_engine_never_imports_the_language_server() -> None:
    for name, path in _sources().items():
        if name.startswith("kwdocs.lsp"):
            continue
        leaks = {m for m in _imports(path, top_level_only=False) if m.startswith("kwdocs.lsp")}
        if name == "kwdocs.cli":
            # ``kwdocs serve`` starts the server: the command line's one way into it.
            assert leaks <= {"kwdocs.lsp.server", "kwdocs.lsp.codecache"}, leaks
            continue
        assert not leaks, f"{name} imports {sorted(leaks)}"


def _files_matching(pattern: str) -> set[str]:
    regex = re.compile(pattern)
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if regex.search(path.read_text(encoding="utf-8"))
    }


def test_each_question_has_one_implementation() -> None:
    # URIs are made and read in one module.
    assert _files_matching(r"\.as_uri\(\)|\burlparse\(") == {"uris.py"}
    # Worker processes are started in one module.
    assert _files_matching(r"ProcessPoolExecutor\(|get_context\(|subprocess\.Popen\(") == {
        "workers.py"
    }
    # One indexing pipeline: discovery is run by it alone.
    assert _files_matching(r"\bdiscover\(settings\)") == {"pipeline.py"}
    # One page fingerprint.
    assert _files_matching(r"def _?fingerprint\(") == {"export/plan.py"}
    # One module resolution: the workspace's table of module names lives in modules.py (and
    # the search of the modules outside the workspace in external.py).
    assert _files_matching(r"class ModuleTable") == {"modules.py"}
    assert _files_matching(r"def file_of\(") == {"modules.py", "external.py"}
    # Lines are split in one module (the LSP rule and the content rule).
    assert _files_matching(r"re\.compile\(r\"\\r\\n\|\\r\|\\n\"\)") == {"textlines.py"}
