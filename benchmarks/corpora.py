"""The benchmark corpora, prepared on demand under benchmarks/.corpora/: PyTorch's Python
package from the local 2.13.0 wheel, its 1/8, 1/4 and 1/2 subsets, and the standard library."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

TORCH_VERSION = "2.13.0"
CORPORA = Path(__file__).resolve().parent / ".corpora"
# Where the test fixtures keep the wheel: reused so it is copied from the wheel store once.
_TEST_WHEELS = (
    Path(os.environ.get("KWDOCS_TEST_CACHE", Path.home() / ".cache" / "kwdocs-tests")) / "wheels"
)
FRACTIONS = (8, 4, 2)  # 1/8, 1/4, 1/2 of the torch tree; "all" is the tree itself


@dataclass(frozen=True)
class Corpus:
    """A folder to index: ``root`` holds the files, ``name`` labels the figures."""

    name: str
    root: Path
    files: int
    lines: int
    megabytes: float


def _find_wheel() -> Path:
    for folder in (_TEST_WHEELS, CORPORA / "wheels"):
        found = sorted(folder.glob(f"torch-{TORCH_VERSION}*.whl"))
        if found:
            return found[0]
    folder = CORPORA / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    # pip copies the wheel from the machine's wheel store (or the index): no install.
    command = [sys.executable, "-m", "pip", "download", f"torch=={TORCH_VERSION}", "--no-deps"]
    subprocess.run([*command, "-d", str(folder), "-q"], check=True, timeout=1200)
    found = sorted(folder.glob(f"torch-{TORCH_VERSION}*.whl"))
    if not found:
        raise RuntimeError(f"pip download torch=={TORCH_VERSION} produced no wheel")
    return found[0]


def _complete(target: Path, build) -> Path:
    """Build ``target`` once: in a temporary folder, renamed when done, stamped beside it (a
    stamp inside would be indexed with the corpus)."""
    stamp = target.with_name(target.name + ".complete")
    if stamp.exists():
        return target
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    build(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    stamp.write_text("ok\n")
    return target


def torch_tree() -> Path:
    """benchmarks/.corpora/torch: a folder holding torch/**.py from the wheel."""

    def build(tmp: Path) -> None:
        with zipfile.ZipFile(_find_wheel()) as archive:
            members = [
                n for n in archive.namelist() if n.startswith("torch/") and n.endswith(".py")
            ]
            archive.extractall(tmp, members=members)

    return _complete(CORPORA / "torch", build)


# The wheel tree of issue 16: Python sources and stubs, the C family, CMake and YAML.
WHEEL_SUFFIXES = (".py", ".pyi", ".h", ".hpp", ".cuh", ".cu", ".cpp", ".cmake", ".yaml", ".yml")


def wheel_tree() -> Path:
    """benchmarks/.corpora/torch-wheel: torch/ and torchgen/ from the wheel, every file of the
    languages kwdocs parses (.py, .pyi, headers, .cuh, .cpp, .cmake, YAML, CMakeLists.txt)."""

    def build(tmp: Path) -> None:
        with zipfile.ZipFile(_find_wheel()) as archive:
            members = [
                n
                for n in archive.namelist()
                if n.startswith(("torch/", "torchgen/"))
                and (n.endswith(WHEEL_SUFFIXES) or n.endswith("/CMakeLists.txt"))
            ]
            archive.extractall(tmp, members=members)

    return _complete(CORPORA / "torch-wheel", build)


def tree_files(root: Path) -> list[Path]:
    """Every file under root, sorted."""
    return sorted(p for p in root.rglob("*") if p.is_file())


def python_files(root: Path) -> list[Path]:
    """Every .py file under root, sorted (the order the subsets are drawn in)."""
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def torch_subset(denominator: int) -> Path:
    """Every ``denominator``-th file of the torch tree (sorted paths): a spread-out sample."""
    source = torch_tree()

    def build(tmp: Path) -> None:
        for i, path in enumerate(python_files(source)):
            if i % denominator:
                continue
            dest = tmp / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, dest)
            except OSError:
                shutil.copy2(path, dest)

    return _complete(CORPORA / f"torch-1of{denominator}", build)


def stdlib_tree() -> Path:
    """The running interpreter's standard library (.py files; no site-packages)."""
    source = Path(sysconfig.get_paths()["stdlib"])

    def build(tmp: Path) -> None:
        for path in python_files(source):
            rel = path.relative_to(source)
            if rel.parts[0] == "site-packages":
                continue
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return _complete(CORPORA / f"stdlib-{version}", build)


def describe(name: str, root: Path, *, every_file: bool = False) -> Corpus:
    """Counts of a corpus: files, lines, megabytes (of its .py files, or of ``every_file``)."""
    files = tree_files(root) if every_file else python_files(root)
    lines = 0
    size = 0
    for path in files:
        data = path.read_bytes()
        size += len(data)
        lines += data.count(b"\n")
    return Corpus(name, root, len(files), lines, size / 1e6)


def tiny_tree(target: Path, files: int = 24) -> Path:
    """A small real corpus (the first standard-library modules) for the smoke test."""
    source = Path(sysconfig.get_paths()["stdlib"])
    picked = [p for p in sorted(source.glob("*.py")) if p.stat().st_size < 60_000][:files]
    target.mkdir(parents=True, exist_ok=True)
    for path in picked:
        shutil.copy2(path, target / path.name)
    return target
