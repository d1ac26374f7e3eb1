"""Editor settings of one folder: initializationOptions, pushed settings and the client's
``workspace/configuration`` answer (section ``kwdocs``), merged and checked by load_settings."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from kwdocs.config import DEFAULT_OUTPUT_DIR, Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer

log = logging.getLogger(__name__)

SECTION = "kwdocs"
# Every request the server sends gets at most this long: a client that never answers must not
# stall indexing.
REQUEST_TIMEOUT = 3.0


def plain(value: Any) -> Any:
    """JSON values as dicts and lists: pygls hands some over as namedtuples."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def options_from(value: Any) -> dict[str, Any]:
    """The kwdocs settings in ``value``: ``{"kwdocs": {...}}`` or the section itself."""
    value = plain(value)
    if not isinstance(value, dict):
        return {}
    inner = value.get(SECTION)
    if isinstance(inner, dict):
        return inner
    return value


def supports_configuration(capabilities: types.ClientCapabilities) -> bool:
    workspace = capabilities.workspace
    return bool(workspace and workspace.configuration)


async def pull(server: KwdocsServer, scope_uri: str | None) -> dict[str, Any] | None:
    """The client's ``kwdocs`` section for a folder, or None (unsupported, failed, timed out)."""
    if not supports_configuration(server.client_capabilities):
        return None
    params = types.ConfigurationParams(
        items=[types.ConfigurationItem(scope_uri=scope_uri, section=SECTION)]
    )
    try:
        result = await asyncio.wait_for(
            server.workspace_configuration_async(params), REQUEST_TIMEOUT
        )
    except asyncio.TimeoutError:
        log.warning("the client did not answer workspace/configuration in %ss", REQUEST_TIMEOUT)
        return None
    except Exception as error:  # the client answered with an error: use the other layers
        log.warning("workspace/configuration failed: %s", error)
        return None
    result = plain(result)
    if isinstance(result, list) and result and isinstance(result[0], dict):
        return options_from(result[0])
    return None


def build(root: Path, layers: list[dict[str, Any] | None]) -> tuple[Settings, str | None]:
    """Settings for ROOT from the layers (later wins), and the error that made it fall back to
    defaults, if any."""
    merged: dict[str, Any] = {}
    for layer in layers:
        # Editors send every setting, unset ones as null or "": those mean "the default".
        merged.update({k: v for k, v in options_from(layer).items() if v is not None and v != ""})
    try:
        return load_settings(root, merged), None
    except SettingsError as error:
        message = f"kwdocs settings for {root}: {error}; using the defaults"
    try:
        return load_settings(root, {}), message
    except SettingsError as error:  # a broken pyproject.toml: plain defaults
        message = f"kwdocs settings for {root}: {error}; using the defaults"
        return Settings(root=root, out=root / DEFAULT_OUTPUT_DIR), message


def reindex_needed(old: Settings, new: Settings) -> bool:
    """True when the set of indexed files may differ."""
    return (old.include, old.exclude, old.max_file_size, old.out) != (
        new.include,
        new.exclude,
        new.max_file_size,
        new.out,
    )
