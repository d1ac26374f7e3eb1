"""The output folder: checks before writing, the lock two exports never share, the manifest of
what kwdocs wrote (only those pages may be removed), and atomic writes of pages."""

from __future__ import annotations

import contextlib
import enum
import errno
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec

from kwdocs import __version__
from kwdocs.config import Settings
from kwdocs.discover import MANIFEST_NAME
from kwdocs.export.summary import ExportError
from kwdocs.extract import is_generated_page

LOCK_NAME = ".kwdocs.lock"
MANIFEST_FORMAT = 1
TEMP_PREFIX = ".kwdocs-tmp-"


def check_output(settings: Settings) -> tuple[str, str]:
    """Real paths of ROOT and OUT, OUT created; ExportError when OUT cannot be used."""
    root = os.path.realpath(settings.root)
    if not os.path.isdir(root):
        raise ExportError(f"ROOT is not a folder: {settings.root}")
    out_given = Path(settings.out)
    if out_given.exists() and not out_given.is_dir():
        raise ExportError(f"the output folder is a file, not a folder: {out_given}")
    out = os.path.realpath(out_given)
    if out == root:
        raise ExportError(
            f"the output folder is the workspace root itself ({out_given}); "
            "use a subfolder such as docs/kwdocs"
        )
    if os.path.commonpath([out, root]) == out:
        raise ExportError(f"the output folder {out_given} contains the workspace root {root}")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise ExportError(
            f"cannot create the output folder {out_given}: {error.strerror}"
        ) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ExportError(f"the output folder is not writable: {out_given}")
    return root, out


@contextlib.contextmanager
def export_lock(out: str, wait: float = 0.0) -> Iterator[None]:
    """Hold OUT's lock; a second export fails at once (or after ``wait`` seconds). The lock
    file exists only while an export holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock on this platform: no lock
        yield
        return
    path = os.path.join(out, LOCK_NAME)
    deadline = time.monotonic() + wait
    while True:
        try:
            handle = open(path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
        except OSError as error:
            raise ExportError(f"cannot create the lock file {path}: {error.strerror}") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            handle.close()
            if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            if time.monotonic() >= deadline:
                raise ExportError(
                    f"another kwdocs export is writing to {out} (lock {LOCK_NAME}); "
                    "run again when it has finished"
                ) from None
            time.sleep(0.05)
            continue
        # The holder before us removes the file before it lets go: a lock taken on a file no
        # longer at ``path`` guards nothing, so take the one that is there now.
        if _same_file(handle, path):
            break
        handle.close()
    _held_locks.add(handle.fileno())
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        _held_locks.discard(handle.fileno())
        handle.close()  # closing releases the lock


# The descriptors of the export locks this process holds. A flock belongs to every copy of its
# descriptor: a forked worker closes its copies at once, or a worker outliving a killed export
# (for the moment its own death takes) would keep the next export out.
_held_locks: set[int] = set()


def _close_held_locks() -> None:
    for fd in _held_locks:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held_locks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks)


def _same_file(handle: BinaryIO, path: str) -> bool:
    try:
        on_disk = os.stat(path)
    except OSError:
        return False
    held = os.fstat(handle.fileno())
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


# -- the manifest --------------------------------------------------------------------------


class PageEntry(msgspec.Struct, frozen=True):
    """A page kwdocs wrote: its fingerprint and what stat said after writing (no fingerprint:
    rendered again by the next export, whatever its inputs)."""

    # No hash of the content: whether the page is still the one written is stat's question
    # (``still_there``), whether it is kwdocs's at all its marker's (``is_generated_page``).
    # Manifests of earlier versions carry a ``sha`` too: decoding ignores it.
    fp: str = ""
    size: int = 0
    mtime_ns: int = 0


class Manifest(msgspec.Struct):
    """``OUT/.kwdocs-manifest.json``: every page kwdocs wrote (only these may be removed)."""

    format: int = MANIFEST_FORMAT
    version: str = __version__
    pages: dict[str, PageEntry] = {}
    root: str = ""
    """The workspace root relative to OUT (pages link to sources through it; so does the
    MkDocs plugin, kwdocs.export.mkdocs_plugin)."""


def load_manifest(out: str) -> Manifest:
    """The manifest of OUT; an empty one when missing or unreadable."""
    # Without a manifest nothing is removed, and a page is overwritten only if it carries the
    # marker (write_page checks).
    try:
        with open(os.path.join(out, MANIFEST_NAME), "rb") as f:
            manifest = msgspec.json.decode(f.read(), type=Manifest)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return Manifest(pages={})
    if manifest.format != MANIFEST_FORMAT:
        return Manifest(pages={})
    return manifest


def save_manifest(out: str, manifest: Manifest) -> None:
    manifest.pages = dict(sorted(manifest.pages.items()))
    manifest.version = __version__
    data = msgspec.json.format(msgspec.json.encode(manifest), indent=1) + b"\n"
    atomic_write(os.path.join(out, MANIFEST_NAME), data)


# -- writing -------------------------------------------------------------------------------


def atomic_write(target: str, data: bytes) -> os.stat_result:
    """Write via a temporary file in the same folder and a rename; what stat says of it."""
    # Readers, and an export killed midway, see the old file or the new one, never half of one.
    # Unbuffered descriptor calls: pages are written whole in one go, and this runs for every
    # page. One temporary name per process and thread is enough: each write renames it away
    # before the next one starts.
    temp = os.path.join(
        os.path.dirname(target), f"{TEMP_PREFIX}{os.getpid()}-{threading.get_ident():x}"
    )
    try:
        fd = os.open(temp, _WRITE_FLAGS, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            st = os.fstat(fd)  # size and mtime are final: the rename keeps them
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return st


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _inside(out: str, path: str) -> bool:
    real = os.path.realpath(path)
    return real == out or os.path.commonpath([out, real]) == out


def sha_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class WriteStatus(str, enum.Enum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    """Left alone: the user's file, or a path leading outside the output folder."""


class WriteResult(msgspec.Struct, frozen=True, array_like=True):
    """The outcome for one page (a conflict with its reason)."""

    page: str
    status: WriteStatus
    entry: PageEntry | None = None
    reason: str = ""


# Folders of OUT already created and checked to lie inside it, during one batch of writes.
_checked_folders: set[str] = set()


# Folders this process created during one batch of writes: nothing else is in them, so a page
# there needs no check for a file or a link in its way.
_fresh_folders: set[str] = set()
# The export (OUT and a token it picked) the two sets above belong to: a worker keeps them
# over every chunk of one export, so a folder it made stays known as fresh.
_writes_of: tuple[str, int] | None = None


def begin_writes(out: str, export: int = 0) -> None:
    """Start a batch of writes into OUT (``export`` tells one export from the next)."""
    global _writes_of
    if _writes_of != (out, export) or not export:
        _checked_folders.clear()
        _fresh_folders.clear()
    _writes_of = (out, export)


def write_page(out: str, page: str, text: str, fp: str) -> WriteResult:
    """Write one page inside OUT unless it is unchanged or belongs to the user."""
    data = text.encode("utf-8")
    target = os.path.join(out, page)
    folder = os.path.dirname(target)
    if folder not in _checked_folders:
        if not _inside(out, folder):
            return WriteResult(
                page, WriteStatus.CONFLICT, reason="its folder leads outside the output folder"
            )
        try:
            if not os.path.isdir(folder):
                os.makedirs(folder)
                _fresh_folders.add(folder)
        except FileExistsError:
            pass  # made meanwhile (another worker): not fresh
        except OSError as error:
            reason = f"cannot create its folder: {error.strerror}"
            return WriteResult(page, WriteStatus.CONFLICT, reason=reason)
        if not os.path.isdir(folder) or not _inside(out, folder):
            return WriteResult(
                page, WriteStatus.CONFLICT, reason="its folder leads outside the output folder"
            )
        _checked_folders.add(folder)
    if folder not in _fresh_folders:
        if os.path.islink(target):
            return WriteResult(page, WriteStatus.CONFLICT, reason="a symlink kwdocs did not create")
        try:
            with open(target, "rb") as f:
                existing: bytes | None = f.read()
        except FileNotFoundError:
            existing = None
        except IsADirectoryError:
            return WriteResult(page, WriteStatus.CONFLICT, reason="a folder is in the way")
        except OSError as error:
            return WriteResult(page, WriteStatus.CONFLICT, reason=f"unreadable: {error.strerror}")
        if existing is not None:
            if not is_generated_page(existing):
                return WriteResult(page, WriteStatus.CONFLICT, reason="a file kwdocs did not write")
            if existing == data:
                return WriteResult(page, WriteStatus.UNCHANGED, _entry(target, fp))
    try:
        st = atomic_write(target, data)
    except OSError as error:
        return WriteResult(page, WriteStatus.CONFLICT, reason=f"cannot write: {error.strerror}")
    return WriteResult(page, WriteStatus.WRITTEN, PageEntry(fp, st.st_size, st.st_mtime_ns))


def _entry(target: str, fp: str) -> PageEntry:
    st = os.stat(target)
    return PageEntry(fp, st.st_size, st.st_mtime_ns)


def still_there(out: str, page: str, entry: PageEntry) -> bool:
    """The page on disk is the one the manifest recorded (stat only: cheap)."""
    try:
        st = os.stat(os.path.join(out, page))
    except OSError:
        return False
    return st.st_size == entry.size and st.st_mtime_ns == entry.mtime_ns


def run_pending(calls: list[Callable[[], None]] | None) -> None:
    """Run and remove each of ``calls`` (an export's saves put off until a core is free)."""
    while calls:
        calls.pop(0)()


def clean_temp_files(out: str) -> None:
    """Remove temporary files an interrupted export left behind."""
    for folder, _dirs, files in os.walk(out):
        for name in files:
            if name.startswith(TEMP_PREFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))


def remove_page(out: str, page: str) -> bool:
    """Delete a page kwdocs wrote (still carrying the marker) and folders it leaves empty."""
    target = os.path.join(out, page)
    if not _inside(out, os.path.dirname(target)) or os.path.islink(target):
        return False
    try:
        with open(target, "rb") as f:
            if not is_generated_page(f.read(256)):
                return False  # the user replaced it with their own file: keep it
        os.unlink(target)
    except OSError:
        return False
    folder = os.path.dirname(target)
    while folder != out and _inside(out, folder):
        try:
            os.rmdir(folder)
        except OSError:
            break
        folder = os.path.dirname(folder)
    return True
