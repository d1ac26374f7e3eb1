"""Settings: defaults < ``[tool.kwdocs]`` in the workspace's pyproject.toml < CLI flags or editor
settings."""

from __future__ import annotations

import dataclasses
import enum
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_OUTPUT_DIR = "docs/kwdocs"
DEFAULT_MAX_FILE_SIZE = 2_000_000
DEFAULT_SOURCE_LIMIT = 200_000
DEFINITION_TARGETS = ("source", "docs", "both")
DEFINITION_INFERENCES = ("jedi", "none")


class SettingsError(ValueError):
    """A setting with a value kwdocs cannot use; the message names the setting and the fix."""


class OnDemandPages(str, enum.Enum):
    """Where the language server writes the pages a hover or a definition links to."""

    AUTO = "auto"
    """The output folder when an export is there already, the page cache otherwise."""
    CACHE = "cache"
    """Always the page cache: a per-workspace folder in the user's cache folder."""
    OUTPUT = "output"
    """Always the output folder, inside the workspace by default."""

    def __str__(self) -> str:
        return self.value


@dataclass
class Settings:
    """Everything that shapes indexing and export of one workspace root."""

    root: Path
    out: Path
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    source_limit: int = DEFAULT_SOURCE_LIMIT
    definition_target: str = "source"
    definition_inference: str = "none"
    """``jedi``: names the index cannot place are inferred (up to 3 s); ``none``: index only."""
    cache_dir: Path | None = None
    use_cache: bool = True
    jobs: int = 0
    """Worker processes for large trees; 0 means one per core."""
    on_demand_pages: OnDemandPages = OnDemandPages.AUTO
    configured_out: Path | None = None
    """The output folder the settings name, when the language server moved ``out`` to the page
    cache (an export the user asks for still goes here)."""

    def describe(self) -> dict[str, Any]:
        """The settings as plain JSON-ready values."""
        values = dataclasses.asdict(self)
        return {k: str(v) if isinstance(v, Path) else v for k, v in values.items()}


# Every spelling a setting may arrive in: camelCase from editors, kebab-case in pyproject.toml.
SETTING_NAMES: dict[str, str] = {
    "outputDir": "out",
    "output-dir": "out",
    "include": "include",
    "exclude": "exclude",
    "maxFileSize": "max_file_size",
    "max-file-size": "max_file_size",
    "sourceLimit": "source_limit",
    "source-limit": "source_limit",
    "definitionTarget": "definition_target",
    "definition-target": "definition_target",
    "definitionInference": "definition_inference",
    "definition-inference": "definition_inference",
    "cacheDir": "cache_dir",
    "cache-dir": "cache_dir",
    "jobs": "jobs",
    "onDemandPages": "on_demand_pages",
    "on-demand-pages": "on_demand_pages",
}


def read_pyproject(root: Path) -> dict[str, Any]:
    """The ``[tool.kwdocs]`` table of ROOT/pyproject.toml, or {} (a broken file is an error)."""
    path = root / "pyproject.toml"
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    try:
        table = tomllib.loads(data.decode("utf-8", errors="replace"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML ({error})") from None
    tool = table.get("tool", {})
    section = tool.get("kwdocs", {}) if isinstance(tool, dict) else {}
    return section if isinstance(section, dict) else {}


def _coerce(name: str, value: Any, root: Path) -> Any:
    if name in ("include", "exclude"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{name}: expected a list of glob strings, got {value!r}")
        return list(value)
    if name in ("max_file_size", "source_limit", "jobs"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SettingsError(f"{name}: expected a non-negative integer, got {value!r}")
        return value
    if name == "definition_target":
        if value not in DEFINITION_TARGETS:
            raise SettingsError(
                f"definitionTarget: expected one of {', '.join(DEFINITION_TARGETS)}, got {value!r}"
            )
        return value
    if name == "definition_inference":
        if value not in DEFINITION_INFERENCES:
            choices = ", ".join(DEFINITION_INFERENCES)
            raise SettingsError(f"definitionInference: expected one of {choices}, got {value!r}")
        return value
    if name == "on_demand_pages":
        try:
            return OnDemandPages(value)
        except ValueError:
            choices = ", ".join(place.value for place in OnDemandPages)
            raise SettingsError(
                f"onDemandPages: expected one of {choices}, got {value!r}"
            ) from None
    if name in ("out", "cache_dir"):
        if not isinstance(value, (str, os.PathLike)) or not str(value):
            raise SettingsError(f"{name}: expected a folder path, got {value!r}")
        path = Path(os.path.expanduser(str(value)))
        return path if path.is_absolute() else root / path
    return value  # pragma: no cover - every name is handled above


def closest_setting(key: str) -> str | None:
    """The spelling of a setting nearest to ``key`` (a typo's likely meaning), if any is close."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(key, list(SETTING_NAMES), scorer=fuzz.ratio, score_cutoff=60)
    return found[0] if found is not None else None


def unknown_key_warning(key: str, where: str) -> str:
    """The warning for a key ``where`` holds that names no setting."""
    nearest = closest_setting(key)
    hint = f"; did you mean {nearest!r}?" if nearest else ""
    return f"{where}: {key!r} is not a kwdocs setting (ignored){hint}"


def load_settings(
    root: Path | str,
    overrides: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
) -> Settings:
    """Settings for ROOT: defaults, then its pyproject.toml, then ``overrides`` (None = unset).

    ``include`` and ``exclude`` add to the project's lists (an editor or a flag can narrow the
    selection but never silently drop the project's own excludes); other values replace.
    Unknown keys of ``[tool.kwdocs]`` add a warning to ``warnings`` (unknown overrides are an
    editor's own settings, and pass in silence); wrong values raise SettingsError.
    """
    root = Path(root).absolute()
    settings = Settings(root=root, out=root / DEFAULT_OUTPUT_DIR)
    project = read_pyproject(root)
    for layer in (project, overrides or {}):
        for key, value in layer.items():
            name = SETTING_NAMES.get(key, key if key in _FIELDS else None)
            if name is None and layer is project and warnings is not None:
                warnings.append(
                    unknown_key_warning(key, f"{root / 'pyproject.toml'} [tool.kwdocs]")
                )
            if name is None or value is None:
                continue
            value = _coerce(name, value, root)
            if name in ("include", "exclude"):
                value = getattr(settings, name) + [
                    v for v in value if v not in getattr(settings, name)
                ]
            setattr(settings, name, value)
    return settings


_FIELDS = {f.name for f in dataclasses.fields(Settings)} - {"root", "configured_out"}
