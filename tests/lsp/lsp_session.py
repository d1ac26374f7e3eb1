"""Helpers for end-to-end tests of the language server: a real ``kwdocs serve`` process over
stdio, driven by pytest-lsp's client with a real editor's capability profile."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

VSCODE = "visual-studio-code"
NEOVIM = "neovim@v0.10.0"
PROFILES = [VSCODE, NEOVIM]
# The language ids VS Code gives files (the server reads the language from the path).
LANGUAGE_IDS = {
    ".py": "python",
    ".pyi": "python",
    ".c": "c",
    ".h": "cpp",
    ".hpp": "cpp",
    ".cpp": "cpp",
    ".cu": "cuda-cpp",
    ".cuh": "cuda-cpp",
    ".yaml": "yaml",
    ".cmake": "cmake",
    ".sh": "shellscript",
}
# Every wait in these tests is bounded; a hung server fails the test instead of the run.
STEP_TIMEOUT = 30.0


class Session:
    """A started server and the client talking to it, plus what the server reported."""

    def __init__(self, client: LanguageClient, roots: list[Path]) -> None:
        self.client = client
        self.roots = roots
        self.statuses: list[dict[str, Any]] = []
        self.registrations: list[types.RegistrationParams] = []
        self.initialized: types.InitializeResult | None = None

    # ---- waiting -----------------------------------------------------------------------------

    async def until(self, check: Callable[[], Any], timeout: float = STEP_TIMEOUT) -> Any:
        """Poll ``check`` until it returns something truthy."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {check}")
            await asyncio.sleep(0.02)

    async def ready(self, timeout: float = 120.0) -> dict[str, Any]:
        """Wait for the ``ready`` status that follows the latest indexing."""

        def latest() -> dict[str, Any] | None:
            if self.statuses and self.statuses[-1].get("state") == "ready":
                return self.statuses[-1]
            return None

        return await self.until(latest, timeout)

    # ---- requests ----------------------------------------------------------------------------

    async def request(self, method: str, params: Any, timeout: float = STEP_TIMEOUT) -> Any:
        return await asyncio.wait_for(
            self.client.protocol.send_request_async(method, params), timeout
        )

    async def hover(self, path: Path, line: int, character: int) -> types.Hover | None:
        return await asyncio.wait_for(
            self.client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
                    position=types.Position(line=line, character=character),
                )
            ),
            STEP_TIMEOUT,
        )

    async def definition(self, path: Path, line: int, character: int) -> Any:
        return await asyncio.wait_for(
            self.client.text_document_definition_async(
                types.DefinitionParams(
                    text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
                    position=types.Position(line=line, character=character),
                )
            ),
            STEP_TIMEOUT,
        )

    async def command(self, name: str, *arguments: Any, timeout: float = 120.0) -> Any:
        return await asyncio.wait_for(
            self.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=name, arguments=list(arguments))
            ),
            timeout,
        )

    def open(self, path: Path, text: str | None = None, version: int = 1) -> None:
        text = path.read_text(encoding="utf-8") if text is None else text
        language = LANGUAGE_IDS.get(path.suffix, "markdown")
        if path.name == "CMakeLists.txt":
            language = "cmake"
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=path.as_uri(), language_id=language, version=version, text=text
                )
            )
        )

    def edit(
        self, path: Path, version: int, start: tuple[int, int], end: tuple[int, int], text: str
    ) -> None:
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=path.as_uri(), version=version
                ),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=start[0], character=start[1]),
                            end=types.Position(line=end[0], character=end[1]),
                        ),
                        text=text,
                    )
                ],
            )
        )


def plain(value: Any) -> Any:
    """pygls hands custom notifications' params over as namedtuples: back to dicts."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def capabilities_for(profile: str, **changes: Any) -> types.ClientCapabilities:
    caps = client_capabilities(profile)
    encodings = changes.pop("position_encodings", None)
    if encodings is not None:
        caps.general = caps.general or types.GeneralClientCapabilities()
        caps.general.position_encodings = encodings
    return caps


@contextlib.asynccontextmanager
async def session(
    roots: Path | list[Path],
    profile: str = VSCODE,
    *,
    capabilities: types.ClientCapabilities | None = None,
    init_options: Any = None,
    configuration: dict[str, Any] | None = None,
) -> AsyncIterator[Session]:
    """Start ``python -m kwdocs serve``, initialize it on ``roots``, shut it down after."""
    roots = [roots] if isinstance(roots, Path) else roots
    client = make_test_lsp_client()
    state = Session(client, roots)

    @client.feature("kwdocs/status")
    def on_status(params: Any) -> None:
        state.statuses.append(plain(params))

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        state.registrations.append(params)

    if configuration is not None:
        client.set_configuration(configuration, section="kwdocs")
    level = os.environ.get("KWDOCS_TEST_LOG", "INFO")
    await client.start_io(sys.executable, "-m", "kwdocs", "serve", "--log-level", level)
    caps = capabilities or capabilities_for(profile)
    try:
        state.initialized = await asyncio.wait_for(
            client.initialize_session(
                types.InitializeParams(
                    capabilities=caps,
                    root_uri=roots[0].as_uri() if roots else None,
                    workspace_folders=[
                        types.WorkspaceFolder(uri=r.as_uri(), name=r.name) for r in roots
                    ],
                    initialization_options=init_options,
                )
            ),
            STEP_TIMEOUT,
        )
        yield state
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), STEP_TIMEOUT)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.stop(), STEP_TIMEOUT)


def page_cache(root: Path) -> Path:
    """Where the server writes pages made on demand for ROOT while no export is there: the
    workspace's page cache (under $KWDOCS_CACHE_DIR, which the tests point at a temporary
    folder the server inherits)."""
    from kwdocs.config import load_settings
    from kwdocs.lsp.settings import page_cache as cache_of

    return cache_of(load_settings(root))


def hover_text(result: types.Hover | None) -> str:
    assert result is not None, "expected a hover"
    contents = result.contents
    assert isinstance(contents, types.MarkupContent), contents
    return contents.value
