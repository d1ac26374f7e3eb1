"""Hover, definition and symbols over stdio in C++ headers of the PyTorch wheel (includes,
qualified names, members, parameters, macros, declarations and their definitions), across the
boundary between ``torch/_C/_distributed_c10d.pyi`` and the C++ ``c10d::ProcessGroup``
(matches by name, said to be so), and in CMake and shell files."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import PROFILES, VSCODE, capabilities_for, hover_text, session
from lsprotocol import types
from native_support import native_root, native_workspace  # noqa: F401  (a fixture)

pytestmark = pytest.mark.asyncio

C10D = "torch/include/torch/csrc/distributed/c10d"
PROCESS_GROUP = f"{C10D}/ProcessGroup.hpp"
PARALLEL = "torch/include/ATen/Parallel.h"
PARALLEL_INL = "torch/include/ATen/Parallel-inl.h"
EXCEPTION = "torch/include/c10/util/Exception.h"
STUB = "torch/_C/_distributed_c10d.pyi"
CMAKE = "torch/share/cmake/Caffe2/public/utils.cmake"
FILES = [
    PROCESS_GROUP,
    f"{C10D}/Backend.hpp",
    f"{C10D}/Work.hpp",
    f"{C10D}/Types.hpp",
    f"{C10D}/Store.hpp",
    PARALLEL,
    PARALLEL_INL,
    EXCEPTION,
    CMAKE,
]
SCRIPT = """\
#!/bin/sh
# Prints a greeting.
greet() {
  echo "hello $1"
}

greet world
"""


@pytest.fixture
def wheel_ws(native_root: Path, tmp_path: Path) -> Path:  # noqa: F811
    # torch/__init__.py and torch/_C/__init__.pyi make the stub the module
    # torch._C._distributed_c10d, as in the wheel.
    stubs = (STUB, "torch/__init__.py", "torch/_C/__init__.pyi")
    root = native_workspace(native_root, tmp_path / "ws", FILES, stubs=stubs)
    (root / "scripts").mkdir()
    (root / "scripts/greet.sh").write_text(SCRIPT, encoding="utf-8")
    return root


def _where(location: types.Location) -> tuple[str, int, int]:
    path = Path(location.uri.removeprefix("file://"))
    return path.as_posix(), location.range.start.line, location.range.start.character


async def _definitions(
    s, path: Path, line: int, character: int, root: Path
) -> list[tuple[str, int]]:
    found = await s.definition(path, line, character)
    assert found is not None, (path, line, character)
    out = []
    for location in found:
        full, start, _ = _where(location)
        out.append((str(Path(full).relative_to(root)), start + 1))
    return out


@pytest.mark.parametrize("profile", PROFILES)
async def test_hover_on_a_class_declaration(wheel_ws: Path, profile: str) -> None:
    header = wheel_ws / PROCESS_GROUP
    async with session(wheel_ws, profile) as s:
        await s.ready()
        s.open(header)
        # Line 73: "class TORCH_API ProcessGroup : public torch::CustomClassHolder {"
        text = hover_text(await s.hover(header, 72, 20))
    lines = text.split("\n\n")
    assert lines[0] == "**class** `c10d::ProcessGroup`"
    assert lines[1] == (
        "```cpp\nclass TORCH_API ProcessGroup : public torch::CustomClassHolder\n```"
    )
    assert lines[2].startswith("ProcessGroup is a base class that captures collective and")
    assert f"Defined in `{PROCESS_GROUP}:73`" in lines
    assert any(line.startswith("[Documentation](file://") for line in lines)
    assert lines[-1] == (
        "---\nSame name in Python (a match by name, not a proven binding):\n"
        f"- class `torch._C._distributed_c10d.ProcessGroup` in `{STUB}:362`"
    )


async def test_hover_on_names_in_a_method_body(wheel_ws: Path) -> None:
    header = wheel_ws / PROCESS_GROUP
    async with session(wheel_ws) as s:
        await s.ready()
        s.open(header)
        # 243: "      const AllreduceOptions& opts = AllreduceOptions()) {": a struct of
        # another header, found from the class's scope through the enclosing namespace.
        text = hover_text(await s.hover(header, 242, 14))
        assert text.startswith("**struct** `c10d::AllreduceOptions`")
        assert f"Defined in `{C10D}/Types.hpp:127`" in text
        # ... and the parameter beside it.
        text = hover_text(await s.hover(header, 242, 30))
        assert text.startswith(
            "**parameter** `opts` of `c10d::ProcessGroup::allreduce`\n\n"
            "```cpp\nconst AllreduceOptions& opts = AllreduceOptions()\n```"
        )
        assert f"Declared in `{PROCESS_GROUP}:243`" in text
        # 104: "      case BackendType::NCCL:": an enumerator of the class's enum.
        text = hover_text(await s.hover(header, 103, 25))
        assert text.startswith("**enumerator** `c10d::ProcessGroup::BackendType::NCCL`")
        # 117: "        TORCH_CHECK(false, ...)": a macro, defined four times under #if.
        text = hover_text(await s.hover(header, 116, 10))
        assert text.startswith("**macro** `TORCH_CHECK`\n\n```cpp\n#define TORCH_CHECK(cond, ...)")
        assert "Other declarations and definitions:" in text
        assert text.count(f"{EXCEPTION}:") == 4
        # 197: "    backend->startCoalescing();": ``backend`` is ``auto``: not evident.
        text = hover_text(await s.hover(header, 196, 16))
        assert text.startswith("**name** `startCoalescing`\n\nThe type of what comes before `->`")
        assert "by name only" in text
        assert f"- method `c10d::Backend::startCoalescing` in `{C10D}/Backend.hpp:" in text
        # Comments and strings hold no names.
        assert await s.hover(header, 193, 10) is None  # "// only nccl has implemented ..."
        assert await s.hover(header, 116, 32) is None  # "THis should never happen!"


async def test_hover_and_definition_of_an_include(wheel_ws: Path) -> None:
    header = wheel_ws / PROCESS_GROUP
    async with session(wheel_ws) as s:
        await s.ready()
        s.open(header)
        # 4: "#include <torch/csrc/distributed/c10d/Backend.hpp>"
        result = await s.hover(header, 3, 30)
        text = hover_text(result)
        assert text.startswith(f"**header** `{C10D}/Backend.hpp`")
        assert f"File `{C10D}/Backend.hpp:1`" in text
        assert result is not None and result.range is not None
        assert (result.range.start.character, result.range.end.character) == (10, 49)
        assert await _definitions(s, header, 3, 30, wheel_ws) == [(f"{C10D}/Backend.hpp", 1)]
        # 6: "#include <memory>": outside the workspace, and said so.
        text = hover_text(await s.hover(header, 5, 12))
        assert text == "**name** `memory`\n\n`memory` is a system header outside the workspace."
        assert await s.definition(header, 5, 12) is None


async def test_definition_of_an_include_naming_the_workspace_root(
    native_root: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    # A workspace of the wheel's torch/include/c10 alone: "#include <c10/core/DeviceType.h>"
    # names its core/DeviceType.h.
    files = ["torch/include/c10/core/Device.h", "torch/include/c10/core/DeviceType.h"]
    native_workspace(native_root, tmp_path / "ws", files)
    root = tmp_path / "ws/torch/include/c10"
    header = root / "core/Device.h"
    async with session(root) as s:
        await s.ready()
        s.open(header)
        # 4: "#include <c10/core/DeviceType.h>"
        assert await _definitions(s, header, 3, 20, root) == [("core/DeviceType.h", 1)]
        text = hover_text(await s.hover(header, 3, 20))
        assert text.startswith("**header** `core/DeviceType.h`")


async def test_definition_from_a_declaration_to_its_definition(wheel_ws: Path) -> None:
    parallel = wheel_ws / PARALLEL
    header = wheel_ws / PROCESS_GROUP
    async with session(wheel_ws) as s:
        await s.ready()
        s.open(parallel)
        # Parallel.h:77 "inline void parallel_for(" declares; Parallel-inl.h:11 defines.
        assert await _definitions(s, parallel, 76, 15, wheel_ws) == [(PARALLEL_INL, 11)]
        text = hover_text(await s.hover(parallel, 76, 15))
        assert text.startswith("**function** `at::parallel_for`")
        assert f"Declared in `{PARALLEL}:77`" in text and f"Defined in `{PARALLEL_INL}:11`" in text
        s.open(header)
        # A use: "c10d::register_work(tensor, work);" is declared only (its definition lives
        # in a .cpp the wheel does not ship): the declaration is the answer.
        assert await _definitions(s, header, 234, 15, wheel_ws) == [(PROCESS_GROUP, 32)]
        # "getBackend(deviceType)" in a method: the class's own overloads, definitions first.
        found = await _definitions(s, header, 195, 20, wheel_ws)
        assert found and all(path == PROCESS_GROUP for path, _ in found)


async def test_across_the_boundary_both_ways(wheel_ws: Path) -> None:
    stub = wheel_ws / STUB
    header = wheel_ws / PROCESS_GROUP
    async with session(wheel_ws) as s:
        await s.ready()
        s.open(stub)
        # 362: "class ProcessGroup:" — its own name leads to the C++ class of that name.
        assert await _definitions(s, stub, 361, 8, wheel_ws) == [(PROCESS_GROUP, 73)]
        text = hover_text(await s.hover(stub, 361, 8))
        assert text.startswith("**class** `torch._C._distributed_c10d.ProcessGroup`")
        assert (
            "---\nSame name in C++ (a match by name, not a proven binding):\n"
            f"- class `c10d::ProcessGroup` in `{PROCESS_GROUP}:73`"
        ) in text
        # 415: "    def allreduce(" — the method of the C++ class of the same name.
        assert await _definitions(s, stub, 414, 9, wheel_ws) == [(PROCESS_GROUP, 241)]
        # 81: "... new_process_group: ProcessGroup": a use goes to the stub, then C++.
        line = (wheel_ws / STUB).read_text(encoding="utf-8").splitlines()[80]
        column = line.index(": ProcessGroup") + 4
        assert await _definitions(s, stub, 80, column, wheel_ws) == [
            (STUB, 362),
            (PROCESS_GROUP, 73),
        ]
        # And back: the C++ class's own name leads to the stub's class.
        s.open(header)
        assert await _definitions(s, header, 72, 20, wheel_ws) == [(STUB, 362)]


@pytest.mark.parametrize("profile", PROFILES)
async def test_document_symbols_of_a_header(wheel_ws: Path, profile: str) -> None:
    header = wheel_ws / PROCESS_GROUP
    async with session(wheel_ws, profile) as s:
        await s.ready()
        s.open(header)
        symbols = await s.request(
            types.TEXT_DOCUMENT_DOCUMENT_SYMBOL,
            types.DocumentSymbolParams(
                text_document=types.TextDocumentIdentifier(uri=header.as_uri())
            ),
        )
    assert symbols
    by_name = {symbol.name: symbol for symbol in symbols}
    assert by_name["kProcessGroupDefaultTimeout"].kind == types.SymbolKind.Constant
    namespace = by_name["c10d"]
    assert namespace.kind == types.SymbolKind.Namespace
    inside = {child.name: child for child in namespace.children}
    group = inside["ProcessGroup"]
    assert group.kind == types.SymbolKind.Class
    members = {child.name: child for child in group.children}
    assert members["allreduce"].kind == types.SymbolKind.Method
    assert members["MergeOptions"].kind == types.SymbolKind.Struct
    assert members["BackendType"].kind == types.SymbolKind.Enum
    enumerators = {child.name: child.kind for child in members["BackendType"].children}
    assert enumerators["NCCL"] == types.SymbolKind.EnumMember
    assert members["allreduce"].selection_range.start == types.Position(line=240, character=35)


async def test_document_symbols_flat(wheel_ws: Path) -> None:
    header = wheel_ws / PROCESS_GROUP
    caps = capabilities_for(VSCODE)
    assert caps.text_document is not None and caps.text_document.document_symbol is not None
    caps.text_document.document_symbol.hierarchical_document_symbol_support = False
    async with session(wheel_ws, capabilities=caps) as s:
        await s.ready()
        s.open(header)
        symbols = await s.request(
            types.TEXT_DOCUMENT_DOCUMENT_SYMBOL,
            types.DocumentSymbolParams(
                text_document=types.TextDocumentIdentifier(uri=header.as_uri())
            ),
        )
    allreduce = next(symbol for symbol in symbols if symbol.name == "allreduce")
    assert allreduce.container_name == "c10d::ProcessGroup"
    assert allreduce.kind == types.SymbolKind.Method


async def test_workspace_symbols_in_every_language(wheel_ws: Path) -> None:
    async with session(wheel_ws) as s:
        await s.ready()

        async def query(text: str) -> list[types.SymbolInformation]:
            return await s.request(types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query=text))

        found = await query("c10d::ProcessGroup")
        assert [(f.name, f.kind, f.container_name) for f in found[:1]] == [
            ("ProcessGroup", types.SymbolKind.Class, f"c10d ({PROCESS_GROUP})")
        ]
        macros = [f for f in await query("TORCH_CHECK") if f.name == "TORCH_CHECK"]
        assert len(macros) == 4 and {f.kind for f in macros} == {types.SymbolKind.Constant}
        cmake = [
            f for f in await query("torch_compile_options") if f.name == "torch_compile_options"
        ]
        assert [(f.kind, f.container_name) for f in cmake] == [(types.SymbolKind.Function, CMAKE)]
        shell = await query("greet")
        assert [(f.name, f.kind) for f in shell[:1]] == [("greet", types.SymbolKind.Function)]


async def test_cmake_and_shell_names(wheel_ws: Path) -> None:
    cmake = wheel_ws / CMAKE
    script = wheel_ws / "scripts/greet.sh"
    async with session(wheel_ws) as s:
        await s.ready()
        s.open(cmake)
        # 106: "  pycmd_no_exit(_output _exitcode ..." calls the function of line 71.
        assert await _definitions(s, cmake, 105, 5, wheel_ws) == [(CMAKE, 71)]
        text = hover_text(await s.hover(cmake, 105, 5))
        assert text.startswith("**function** `pycmd_no_exit`\n\n```cmake\n")
        s.open(script)
        # 7: "greet world" calls the function of line 3, documented by the comment above it.
        assert await _definitions(s, script, 6, 2, wheel_ws) == [("scripts/greet.sh", 3)]
        text = hover_text(await s.hover(script, 6, 2))
        assert text.startswith(
            "**function** `greet`\n\n```bash\ngreet()\n```\n\nPrints a greeting."
        )


async def test_watched_headers_are_read_again(wheel_ws: Path) -> None:
    """The server watches the C family's suffixes and re-reads a header changed on disk."""
    import asyncio

    from kwdocs.lsp.server import WATCH_GLOBS

    async with session(wheel_ws) as s:
        await s.ready()
        await s.until(lambda: s.registrations)
        options = s.registrations[0].registrations[0].register_options
        # pygls hands the registration's options over as plain JSON.
        globs = [watcher["globPattern"] for watcher in options["watchers"]]  # type: ignore[index]
        assert globs == WATCH_GLOBS
        assert any(".hpp" in g or "hpp" in g for g in globs) and "**/CMakeLists.txt" in globs
        header = wheel_ws / f"{C10D}/Extra.hpp"
        header.write_text("namespace c10d {\nstruct ExtraOptions {};\n}\n", encoding="utf-8")
        s.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=header.as_uri(), type=types.FileChangeType.Created)]
            )
        )
        found: list[types.SymbolInformation] = []
        for _ in range(300):
            found = await s.request(
                types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query="ExtraOptions")
            )
            if found:
                break
            await asyncio.sleep(0.05)
        assert [(f.name, f.kind) for f in found] == [("ExtraOptions", types.SymbolKind.Struct)]
