"""The servers measured: how each is started over stdio, which of them are type checkers
(their agreement is the reference), and which version is installed."""

from __future__ import annotations

import enum
import importlib.metadata
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path


class Role(str, enum.Enum):
    """What a server's answers count for in the scoring."""

    SUBJECT = "subject"  # kwdocs: scored, never part of the reference
    CHECKER = "checker"  # a type checker: its answers make the consensus
    OTHER = "other"  # scored like kwdocs, but not a type checker


@dataclass(frozen=True)
class ServerSpec:
    """One language server: its name in the tables, the distribution that installs it, its
    command line (``argv[0]`` looked up next to the running interpreter, then on PATH)."""

    name: str
    distribution: str
    argv: tuple[str, ...]
    role: Role

    def command(self) -> list[str] | None:
        """The full command, or None when the server is not installed."""
        if self.name == "kwdocs":
            return [sys.executable, "-m", "kwdocs", "serve"]
        local = Path(sys.executable).parent / self.argv[0]
        found = str(local) if local.exists() else shutil.which(self.argv[0])
        return None if found is None else [found, *self.argv[1:]]

    def version(self) -> str | None:
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    @property
    def label(self) -> str:
        """``name version`` as the tables print it."""
        version = self.version()
        return self.name if self.name == "kwdocs" or version is None else f"{self.name} {version}"


KWDOCS = ServerSpec("kwdocs", "kwdocs", ("kwdocs", "serve"), Role.SUBJECT)
PEERS = (
    ServerSpec(
        "basedpyright", "basedpyright", ("basedpyright-langserver", "--stdio"), Role.CHECKER
    ),
    ServerSpec("ty", "ty", ("ty", "server"), Role.CHECKER),
    ServerSpec("pyrefly", "pyrefly", ("pyrefly", "lsp"), Role.CHECKER),
    ServerSpec("zuban", "zuban", ("zuban", "server"), Role.CHECKER),
    ServerSpec(
        "jedi-language-server", "jedi-language-server", ("jedi-language-server",), Role.OTHER
    ),
)
ALL = (KWDOCS, *PEERS)
CHECKERS = tuple(spec.name for spec in PEERS if spec.role is Role.CHECKER)


def by_name(names: list[str] | None) -> list[ServerSpec]:
    """The specs named (all peers and kwdocs when ``names`` is None), in table order."""
    if names is None:
        return list(ALL)
    unknown = set(names) - {spec.name for spec in ALL}
    if unknown:
        raise SystemExit(f"unknown server(s): {', '.join(sorted(unknown))}")
    return [spec for spec in ALL if spec.name in names]


def installed(specs: list[ServerSpec]) -> tuple[list[ServerSpec], list[str]]:
    """The specs whose command exists, and a note for each missing one."""
    found, missing = [], []
    for spec in specs:
        if spec.command() is None:
            missing.append(f"{spec.name}: not installed (pip install -e '.[peers]')")
        else:
            found.append(spec)
    return found, missing
