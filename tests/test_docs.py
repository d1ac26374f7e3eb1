"""The user documentation against the code: settings, flags, editor settings and commands, page
sections, module names and links named in docs/*.md must exist, and what exists must be named."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from kwdocs import config
from kwdocs.cli import build_parser
from kwdocs.export import export_workspace
from kwdocs.lsp.server import COMMANDS
from kwdocs.model import GROUP_ORDER
from kwdocs.pages import DOCS_SECTIONS, Slugger

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
PACKAGE = REPO / "server" / "kwdocs"
FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def prose(text: str) -> str:
    """The text without fenced code blocks: links and headings inside them are examples."""
    return FENCE.sub("", text)


def spans(text: str) -> set[str]:
    """Contents of every inline code span."""
    return {match.group(2).strip() for match in CODE_SPAN.finditer(prose(text))}


def section(text: str, heading: str) -> str:
    """The text under a ``## heading`` up to the next heading of level 2 or higher."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^#{{1,2}} |\Z)", text, re.M | re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


# The user documentation; other pages (benchmarks.md) describe tools with flags of their own.
USER_DOCS = (
    "index.md",
    "install.md",
    "vscode.md",
    "neovim.md",
    "cli.md",
    "configuration.md",
    "page-format.md",
    "troubleshooting.md",
    "architecture.md",
)


def doc_pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


# -- settings ------------------------------------------------------------------------------------


def _settings_rows() -> list[list[str]]:
    """Cells of the settings reference table of configuration.md."""
    table = section(read("configuration.md"), "Settings reference")
    rows = [line for line in table.splitlines() if line.startswith("|")][2:]
    assert rows, "configuration.md lost its settings table"
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def _code(cell: str) -> str:
    match = CODE_SPAN.fullmatch(cell)
    assert match, f"expected a single code span, got {cell!r}"
    return match.group(2)


def _options() -> dict[str, argparse.Action]:
    """Every option string of every subcommand (and of the top level), with its action."""
    found: dict[str, argparse.Action] = {}
    for parser in _parsers().values():
        for action in parser._actions:
            for option in action.option_strings:
                found[option] = action
    return found


def _parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found = {"": parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def test_every_setting_spelling_is_documented() -> None:
    named = spans(read("configuration.md"))
    missing = sorted(set(config.SETTING_NAMES) - named)
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_settings_table_matches_the_code() -> None:
    defaults = config.Settings(root=Path("/r"), out=Path("/r") / config.DEFAULT_OUTPUT_DIR)
    options = _options()
    fields = []
    for kebab_cell, camel_cell, flag_cell, default_cell, *_ in _settings_rows():
        kebab, camel = _code(kebab_cell), _code(camel_cell)
        assert kebab in config.SETTING_NAMES, f"{kebab} is not a setting"
        assert camel in config.SETTING_NAMES, f"{camel} is not a setting"
        field = config.SETTING_NAMES[kebab]
        assert config.SETTING_NAMES[camel] == field, f"{kebab} and {camel} differ"
        fields.append(field)
        if flag_cell != "—":
            flag = _code(flag_cell).split()[0]
            assert flag in options, f"{flag} is not a flag of kwdocs"
            assert options[flag].dest == field, f"{flag} does not set {field}"
        value = getattr(defaults, field)
        if field == "out":
            assert _code(default_cell) == config.DEFAULT_OUTPUT_DIR
        elif isinstance(value, list):
            assert _code(default_cell) == json.dumps(value)
        elif value is not None:
            assert _code(default_cell) == str(value), f"default of {kebab}"
    expected = set(config.SETTING_NAMES.values())
    assert sorted(fields) == sorted(expected), "one row per setting, every setting a row"


def test_settings_named_in_editor_docs_exist() -> None:
    """Keys of the Lua tables that carry settings in neovim.md, and settings in prose."""
    text = read("neovim.md")
    tables = re.findall(r"(?:init_options|kwdocs) = \{([^{}]*)\}", text)
    keys = {key for table in tables for key in re.findall(r"(\w+)\s*=", table)}
    assert {"outputDir", "definitionTarget"} <= keys
    unknown = keys - set(config.SETTING_NAMES)
    assert not unknown, f"neovim.md sets unknown settings: {sorted(unknown)}"
    listed = section(text, "Settings").split("\n\n")[0]
    for name in re.findall(r"`(\w+)`", listed):
        assert name in config.SETTING_NAMES, f"neovim.md names an unknown setting {name}"


# -- command line --------------------------------------------------------------------------------


def test_every_cli_flag_is_documented_in_its_section() -> None:
    text = read("cli.md")
    parsers = _parsers()
    shared: set[str] | None = None
    for name in ("export", "index", "lookup"):
        flags = {o for a in parsers[name]._actions for o in a.option_strings}
        shared = flags if shared is None else shared & flags
    assert shared
    selection = section(text, "Selection flags")
    for name, parser in parsers.items():
        if not name:
            continue
        own = section(text, f"`kwdocs {name}`")
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            # Shared flags (--include, …) may be described once, under Selection flags.
            where = own + selection if set(action.option_strings) & shared else own
            for option in action.option_strings:
                assert re.search(rf"`{re.escape(option)}[` ,]", where), (
                    f"kwdocs {name} {option} is not documented in cli.md"
                )
            if not action.option_strings:
                assert f"`{action.metavar}`" in own, f"kwdocs {name} {action.metavar}"
    assert "`--version`" in text or "kwdocs --version" in text


def test_every_flag_named_in_the_docs_exists() -> None:
    options = _options()
    for page in (DOCS / name for name in USER_DOCS):
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", prose(page.read_text("utf-8"))):
            if option in ("--stdio",) or option in options:
                continue
            # Other programs' flags in the docs (pip, npm, code) sit on their own command lines.
            assert page.name in ("install.md", "vscode.md"), f"{page.name}: unknown {option}"


# -- editors -------------------------------------------------------------------------------------


def _package_json() -> dict:
    return json.loads((REPO / "vscode-client" / "package.json").read_text(encoding="utf-8"))


def test_vscode_settings_and_commands_are_documented() -> None:
    package = _package_json()
    text = read("vscode.md")
    named = spans(text)
    contributes = package["contributes"]
    settings = set(contributes["configuration"]["properties"])
    commands = {c["command"]: f"{c['category']}: {c['title']}" for c in contributes["commands"]}
    for setting in settings:
        assert setting in named, f"setting {setting} missing from docs/vscode.md"
        default = contributes["configuration"]["properties"][setting]["default"]
        row = next(line for line in text.splitlines() if line.startswith(f"| `{setting}` |"))
        assert f"`{json.dumps(default)}`" in row or f"`{default}`" in row, row
    for command, title in commands.items():
        assert command in named, f"command {command} missing from docs/vscode.md"
        assert title in text, f"palette title {title!r} missing from docs/vscode.md"
    # Every kwdocs.* id the page names is a setting, a command or a server command.
    known = settings | set(commands) | set(COMMANDS)
    mentioned = set(re.findall(r"`(kwdocs\.[\w.]*\w)`", text))
    assert not mentioned - known, f"unknown ids in vscode.md: {sorted(mentioned - known)}"


def test_server_commands_are_documented_for_both_editors() -> None:
    for page in ("neovim.md", "vscode.md"):
        named = spans(read(page))
        for command in COMMANDS:
            assert command in named, f"{command} missing from docs/{page}"
    mentioned = set(re.findall(r"kwdocs\.server\.(?:export|re|debug)\w*", read("neovim.md")))
    assert mentioned <= set(COMMANDS), f"unknown server commands: {mentioned - set(COMMANDS)}"


# -- pages ---------------------------------------------------------------------------------------


def test_every_docs_section_is_documented_in_order() -> None:
    headings = [m.group(2) for m in HEADING.finditer(prose(read("page-format.md")))]
    positions = []
    for title in DOCS_SECTIONS:
        assert title in headings, f"section {title!r} missing from docs/page-format.md"
        positions.append(headings.index(title))
    assert positions == sorted(positions), "page-format.md lists the sections out of order"
    text = read("page-format.md")
    for group in GROUP_ORDER:
        assert f"### {group}" in text, f"keyword group {group} missing"


def test_every_heading_of_real_pages_is_documented(tmp_path: Path) -> None:
    """Export a small workspace and look up every fixed heading of its pages."""
    root = tmp_path / "ws"
    (root / "pkg" / "tests").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text('"""A package."""\n', encoding="utf-8")
    (root / "pkg" / "shapes.py").write_text(
        '"""Shapes."""\n\nimport os\nimport numpy\nfrom . import missing\n\nLIMIT = 3\n\n\n'
        "class Base:\n    pass\n\n\nclass Square(Base):\n    def area(self) -> int:\n"
        "        return eval('1')\n",
        encoding="utf-8",
    )
    (root / "pkg" / "use.py").write_text("from pkg.shapes import Square\n", encoding="utf-8")
    (root / "pkg" / "tests" / "test_shapes.py").write_text(
        "from pkg.shapes import Square\n", encoding="utf-8"
    )
    (root / "README.md").write_text("# Title\n\nSee `Square`.\n", encoding="utf-8")
    (root / "notes.txt").write_text("plain\n", encoding="utf-8")
    settings = config.load_settings(root, {"outputDir": str(tmp_path / "out")})
    export_workspace(settings)
    documented = read("page-format.md")
    seen: set[str] = set()
    pages = list((tmp_path / "out").rglob("*.md"))
    for page in pages:
        for match in HEADING.finditer(prose(page.read_text(encoding="utf-8"))):
            level, title = len(match.group(1)), match.group(2)
            if level == 1:
                title = title.split(":", 1)[0] + ":"  # "# Documentation: `path`"
            elif level == 4:
                continue  # one per keyword: "#### class `Square`"
            seen.add(title)
    assert {"Subfolders", "Files", "Totals", "Imported by"} <= seen
    missing = sorted(title for title in seen if title not in documented)
    assert not missing, f"headings of generated pages missing from page-format.md: {missing}"
    # Every page ends with the footer page-format.md names.
    footers = {page.read_text(encoding="utf-8").rstrip().rpartition("\n")[2] for page in pages}
    assert len(footers) == 1 and f"footer `{footers.pop()}`" in documented


# -- architecture --------------------------------------------------------------------------------


def test_every_module_is_named_in_architecture() -> None:
    named = spans(read("architecture.md"))
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        assert rel in named, f"server/kwdocs/{rel} is not described in docs/architecture.md"


def test_names_in_architecture_exist() -> None:
    """Files, modules, classes, constants and functions the page names are in the code."""
    text = read("architecture.md")
    sources = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    for name in sorted(spans(text)):
        # Page names such as `doc.md` or `_docs.md` are not files of the repository.
        if re.fullmatch(r"[\w/.-]+\.(py|sh)|[\w.-]+/[\w/.-]+\.md", name):
            exists = (PACKAGE / name).exists() or (REPO / name).exists()
            assert exists, f"architecture.md names a missing file {name}"
        elif re.fullmatch(r"[\w/]+/", name):
            assert (PACKAGE / name).is_dir() or (REPO / name).is_dir(), name
        elif re.fullmatch(r"_?[A-Z][A-Za-z0-9_]*|[a-z_]+_[a-z_]+", name):
            defined = rf"^\s*(?:class |def |async def ){name}\b|^\s*{name}\b\s*[:=]"
            assert re.search(defined, sources, re.M), f"architecture.md names unknown {name}"


# -- links ---------------------------------------------------------------------------------------


def _anchors(page: Path) -> set[str]:
    slugger = Slugger()
    return {slugger.slug(m.group(2)) for m in HEADING.finditer(prose(page.read_text("utf-8")))}


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    text = CODE_SPAN.sub("", prose(page.read_text(encoding="utf-8")))
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # https:, file:, mailto:
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{page.name}: broken link {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), f"{page.name}: no #{anchor} in {path or 'self'}"
