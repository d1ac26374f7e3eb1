"""Editor settings of one folder: initializationOptions, pushed settings and the client's
``workspace/configuration`` answer (section ``kwdocs``), merged and checked by load_settings."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from kwdocs.cache import default_cache_dir
from kwdocs.config import (
    DEFAULT_OUTPUT_DIR,
    OnDemandPages,
    Settings,
    SettingsError,
    load_settings,
)
from kwdocs.discover import MANIFEST_NAME

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
    defaults, if any; ``out`` is where pages made on demand go (place_pages)."""
    settings, message = _merged(root, layers)
    return place_pages(settings), message


def _merged(root: Path, layers: list[dict[str, Any] | None]) -> tuple[Settings, str | None]:
    merged: dict[str, Any] = {}
    for layer in layers:
        # Editors send every setting, unset ones as null or "": those mean "the default".
        merged.update({k: v for k, v in options_from(layer).items() if v is not None and v != ""})
    warnings: list[str] = []
    try:
        settings = load_settings(root, merged, warnings)
    except SettingsError as error:
        message = f"kwdocs settings for {root}: {error}; using the defaults"
    else:
        return settings, "; ".join(warnings) or None
    try:
        return load_settings(root, {}), message
    except SettingsError as error:  # a broken pyproject.toml: plain defaults
        message = f"kwdocs settings for {root}: {error}; using the defaults"
        return Settings(root=root, out=root / DEFAULT_OUTPUT_DIR), message


def page_cache(settings: Settings) -> Path:
    """The workspace's own folder for pages made on demand, in the user's cache folder (or
    ``cacheDir``): outside the workspace, so a hover never changes what ``git status`` says."""
    base = settings.cache_dir if settings.cache_dir is not None else default_cache_dir()
    root = settings.root
    key = hashlib.blake2b(str(root).encode("utf-8", "surrogateescape"), digest_size=12)
    return base / "pages" / f"{root.name[:40] or 'root'}-{key.hexdigest()}"


def _on_demand_folder(settings: Settings, configured: Path) -> Path:
    if settings.on_demand_pages is OnDemandPages.OUTPUT:
        return configured
    if settings.on_demand_pages is OnDemandPages.AUTO and (configured / MANIFEST_NAME).is_file():
        return configured  # the user exported there: hovers link into their pages
    return page_cache(settings)


def place_pages(settings: Settings) -> Settings:
    """Point ``out`` (what hovers and definitions link into) at the folder pages made on demand
    go to (``onDemandPages``); the configured output folder stays in ``configured_out``."""
    configured = settings.configured_out or settings.out
    settings.configured_out = configured
    settings.out = _on_demand_folder(settings, configured)
    return settings


def follow_export(settings: Settings) -> bool:
    """With ``onDemandPages`` auto, move ``out`` to the output folder once an export is there
    (made since the settings were read); True when it moved."""
    configured = settings.configured_out
    if configured is None or settings.out == configured:
        return False
    if settings.on_demand_pages is not OnDemandPages.AUTO:
        return False
    if not (configured / MANIFEST_NAME).is_file():
        return False
    settings.out = configured
    return True


def export_settings(settings: Settings) -> Settings:
    """The settings an export the user asks for runs with: into the configured output folder."""
    if settings.configured_out is None:
        return settings
    return dataclasses.replace(settings, out=settings.configured_out, configured_out=None)


def reindex_needed(old: Settings, new: Settings) -> bool:
    """True when the set of indexed files may differ."""
    return (old.include, old.exclude, old.max_file_size, old.out) != (
        new.include,
        new.exclude,
        new.max_file_size,
        new.out,
    )
