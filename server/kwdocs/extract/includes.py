"""Where an ``#include`` may lead: the workspace paths to try, in the compiler's order. The
engine's resolver keeps the first that exists."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping, Sequence

from kwdocs.model import FileRecord, Keyword, Kind


def is_system_include(keyword: Keyword) -> bool:
    """``#include <…>`` rather than ``#include "…"`` (the signature is the directive as written)."""
    return keyword.kind == Kind.INCLUDE and "<" in keyword.signature.split(keyword.target, 1)[0]


def include_roots(including: str) -> list[str]:
    """Folders a build would put on the include path for a file, seen from its path: every
    ancestor folder named ``include`` (``torch/include/``), innermost first."""
    parts = including.split("/")[:-1]
    return [
        "/".join(parts[: i + 1]) for i in range(len(parts) - 1, -1, -1) if parts[i] == "include"
    ]


def root_names(root: str) -> tuple[str, ...]:
    """The names of the workspace root's folder and of the folders above it, innermost first
    (``include_candidates``'s ``above``)."""
    return tuple(name for name in reversed(os.path.realpath(root).split(os.sep)) if name)


def include_candidates(
    including: str,
    target: str,
    *,
    system: bool,
    extra_roots: Sequence[str] = (),
    above: Sequence[str] = (),
) -> list[str]:
    """Workspace-relative paths ``#include target`` written in ``including`` may name, most
    likely first: for ``"…"`` the including file's folder, then the include roots (those the
    file's path shows, then ``extra_roots``, then the workspace root); for ``<…>`` the roots
    only. Last, when the workspace lies inside the include root (``above``: the root's folder
    names, innermost first, ``root_names``), the path below the root of a target that names
    it: ``<c10/core/Device.h>`` is ``core/Device.h`` of a workspace rooted at ``…/c10``. Paths
    leaving the workspace are dropped; each appears once."""
    target = target.replace("\\", "/")
    if not target or target.startswith("/"):
        return []
    folders: list[str] = []
    if not system:
        folders.append(posixpath.dirname(including))
    folders += include_roots(including)
    folders += [root.strip("/") for root in extra_roots]
    folders.append("")
    written = [posixpath.join(folder, target) if folder else target for folder in folders]
    head = ""
    for name in above:
        head = f"{name}/{head}"
        if target.startswith(head):
            written.append(target[len(head) :])
    candidates: list[str] = []
    for path in map(posixpath.normpath, written):
        if not (path.startswith("../") or path == ".." or path in candidates):
            candidates.append(path)
    return candidates


def include_target(
    records: Mapping[str, FileRecord],
    including: str,
    keyword: Keyword,
    above: Sequence[str] = (),
) -> str | None:
    """The workspace file ``#include`` keyword of the file ``including`` leads to, or None
    (``above``: the root's folder names, ``root_names``)."""
    system = is_system_include(keyword)
    candidates = include_candidates(including, keyword.target, system=system, above=above)
    for candidate in candidates:
        if candidate != including and candidate in records:
            return candidate
    return None


def included_paths(
    records: Mapping[str, FileRecord], record: FileRecord, above: Sequence[str] = ()
) -> set[str]:
    """The workspace files a C, C++ or CUDA file's ``#include``s lead to."""
    found = set()
    for keyword in record.keywords:
        if keyword.kind == Kind.INCLUDE:
            target = include_target(records, record.path, keyword, above)
            if target is not None:
                found.add(target)
    return found
