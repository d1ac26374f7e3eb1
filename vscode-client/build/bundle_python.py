"""Puts kwdocs and its Python dependencies into ``bundled/libs`` for one VS Code target.

    python build/bundle_python.py [--target linux-x64] [--pythons 3.10 3.11 ...] [--force]

kwdocs itself is built from this checkout (``server/``) as a wheel; its dependencies come from
the package index as wheels for the target's platform, one resolution per CPython version. The
versions share one folder: pure-Python files are identical across them, and compiled modules
carry their version in their file name (``_core.cpython-312-x86_64-linux-gnu.so``), so Python
picks its own. Any other file that differs between two versions stops the build, since one
folder could not serve both. ``bundled/libs/bundle.json`` records what was bundled; the
extension reads it to choose an interpreter, ``bundled/tool/launch.py`` to check the one it
runs on. A bundle whose inputs (this script, the target, the versions, kwdocs's sources and
pyproject.toml) did not change is kept as it is.
"""

from __future__ import annotations

import argparse
import dataclasses
import email.parser
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

CLIENT = Path(__file__).resolve().parent.parent
REPO = CLIENT.parent
LIBS = CLIENT / "bundled" / "libs"
MANIFEST = "bundle.json"
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
# Installer bookkeeping that differs per version (hashes, tags) or names this machine's paths;
# importlib.metadata needs none of it.
DROPPED_METADATA = frozenset({"RECORD", "WHEEL", "INSTALLER", "REQUESTED", "direct_url.json"})
# Console scripts and caches: the bundle is imported, never installed.
DROPPED_TOP = frozenset({"bin", "Scripts", "__pycache__"})


def _manylinux(arch: str) -> tuple[str, ...]:
    # glibc 2.28 (Debian 10, RHEL 8, Ubuntu 18.10) and newer: the oldest rapidfuzz ships for
    # every supported CPython; older tags are listed so that wheels built for them qualify.
    newer = tuple(f"manylinux_2_{minor}_{arch}" for minor in range(28, 16, -1))
    return (*newer, f"manylinux2014_{arch}")


@dataclasses.dataclass(frozen=True)
class Target:
    """A VS Code platform (``vsce package --target``) and the wheel platform tags it accepts."""

    name: str
    platforms: tuple[str, ...]
    # Environment markers of the target (PEP 508): pip evaluates dependencies' markers for
    # the interpreter running it, whatever --platform and --python-version say.
    sys_platform: str
    platform_system: str
    platform_machine: str

    def markers(self, python: str) -> dict[str, str]:
        return {
            "python_version": python,
            "python_full_version": f"{python}.0",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "sys_platform": self.sys_platform,
            "platform_system": self.platform_system,
            "platform_machine": self.platform_machine,
            "os_name": "nt" if self.sys_platform == "win32" else "posix",
        }


TARGETS = {
    target.name: target
    for target in (
        Target("linux-x64", _manylinux("x86_64"), "linux", "Linux", "x86_64"),
        Target("linux-arm64", _manylinux("aarch64"), "linux", "Linux", "aarch64"),
        Target("darwin-x64", ("macosx_11_0_x86_64",), "darwin", "Darwin", "x86_64"),
        Target("darwin-arm64", ("macosx_11_0_arm64",), "darwin", "Darwin", "arm64"),
        Target("win32-x64", ("win_amd64",), "win32", "Windows", "AMD64"),
        Target("win32-arm64", ("win_arm64",), "win32", "Windows", "ARM64"),
    )
}


def host_target() -> str:
    """The VS Code target of this machine."""
    system = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}.get(platform.system())
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if system is None or arch is None:
        raise SystemExit(f"bundle_python: no VS Code target for {platform.system()} {machine}")
    return f"{system}-{arch}"


def _pip(*args: str, env: dict[str, str] | None = None) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    result = subprocess.run(
        command, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env
    )
    if result.returncode != 0:
        raise SystemExit(
            f"bundle_python: {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
        )


def _inputs_digest(target: Target, pythons: list[str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([target.name, target.platforms, pythons]).encode())
    sources = [Path(__file__), REPO / "pyproject.toml"]
    sources += sorted(p for p in (REPO / "server" / "kwdocs").rglob("*") if p.is_file())
    for source in sources:
        if "__pycache__" in source.parts:
            continue
        digest.update(str(source.relative_to(REPO)).encode() + b"\0")
        digest.update(source.read_bytes() + b"\0")
    return digest.hexdigest()


def _download(
    requirements: list[str], target: Target, python: str, into: Path, pins: Path
) -> dict[str, Path]:
    """The wheels CPython ``python`` on ``target`` gets for ``requirements``, by name."""
    abi = "cp" + python.replace(".", "")
    platforms = [arg for tag in target.platforms for arg in ("--platform", tag)]
    _pip(
        "download",
        "--dest",
        str(into),
        "--only-binary=:all:",
        *platforms,
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--abi",
        abi,
        "--constraint",
        str(pins),
        *requirements,
    )
    return {_wheel_name(found)[0]: found for found in sorted(into.glob("*.whl"))}


def _wheel_name(wheel: Path) -> tuple[str, str]:
    """(normalised distribution name, version) from a wheel's file name (PEP 427)."""
    name, version = wheel.name.split("-")[:2]
    return canonicalize_name(name), version


def _requires(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = (
            name
            for name in archive.namelist()
            if name.count("/") == 1 and name.endswith(".dist-info/METADATA")
        )
        message = email.parser.BytesParser().parsebytes(archive.read(metadata))
    return [Requirement(line) for line in message.get_all("Requires-Dist") or []]


def _missing(wheels: dict[str, Path], target: Target, python: str) -> list[str]:
    """Requirements of ``wheels`` whose markers hold for ``python`` on ``target`` (pip judged
    them for its own interpreter) and that nothing in ``wheels`` provides."""
    environment = target.markers(python)
    missing = []
    for found in wheels.values():
        for requirement in _requires(found):
            # Extras no one asked for: kwdocs requests none of its dependencies' extras.
            holds = requirement.marker is None or requirement.marker.evaluate(
                {**environment, "extra": ""}
            )
            if holds and canonicalize_name(requirement.name) not in wheels:
                missing.append(f"{requirement.name}{requirement.specifier}")
    return sorted(set(missing))


def _resolve_one(
    wheel: Path, target: Target, python: str, work: Path, pins: Path
) -> dict[str, Path]:
    requirements = [str(wheel)]
    for attempt in range(5):
        into = work / f"{python}-{attempt}"
        wheels = _download(requirements, target, python, into, pins)
        missing = _missing(wheels, target, python)
        if not missing:
            return wheels
        requirements += missing
    raise SystemExit(f"bundle_python: CPython {python}: still missing {missing}")


def _resolve(wheel: Path, target: Target, pythons: list[str], work: Path) -> list[Path]:
    """One set of wheels serving every version: where the versions' resolutions pick
    different releases of a distribution, all take the oldest version's pick (the newest
    release that still supports it) and resolve again."""
    pins = work / "pins.txt"
    pins.write_text("", encoding="utf-8")
    for attempt in range(3):
        picked: dict[str, dict[str, Path]] = {}
        for python in pythons:
            print(f"bundle_python: {target.name} CPython {python}", file=sys.stderr)
            picked[python] = _resolve_one(wheel, target, python, work / f"round{attempt}", pins)
        releases: dict[str, dict[str, str]] = {}
        for python, wheels in picked.items():
            for name, found in wheels.items():
                releases.setdefault(name, {})[python] = _wheel_name(found)[1]
        split = {name: by for name, by in releases.items() if len(set(by.values())) > 1}
        if not split:
            return sorted({found for wheels in picked.values() for found in wheels.values()})
        lines = [f"{name}=={next(iter(by.values()))}" for name, by in sorted(split.items())]
        pins.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"bundle_python: one release for all versions: {', '.join(lines)}", file=sys.stderr)
    raise SystemExit(f"bundle_python: no common release of {', '.join(sorted(split))}: {split}")


# Optional dependencies published as source only: built here (one abi3 wheel serves every
# CPython from 3.10) when the target is this machine's platform, else left out (the server then
# documents those files as text).
OPTIONAL_SOURCE_ONLY = ("tree-sitter-cmake",)


def _optional(target: Target, work: Path) -> list[Path]:
    if target.name != host_target():
        print(f"bundle_python: {target.name}: without {', '.join(OPTIONAL_SOURCE_ONLY)}")
        return []
    into = work / "optional"
    try:
        _pip("wheel", "--no-deps", "--wheel-dir", str(into), *OPTIONAL_SOURCE_ONLY)
    except SystemExit:
        print(f"bundle_python: could not build {', '.join(OPTIONAL_SOURCE_ONLY)}; left out")
        return []
    return sorted(into.glob("*.whl"))


class Conflict(Exception):
    """Two wheels need different contents at one path."""


def _unpack(wheel: Path, into: Path) -> None:
    """Installs ``wheel`` into ``into`` as a plain import folder; a file already there must be
    identical (the same pure module of another version's wheel)."""
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            parts = PurePosixPath(member.filename).parts
            if member.is_dir() or not parts:
                continue
            if parts[0].endswith(".data"):
                # purelib and platlib belong at the root; scripts, headers and data nowhere.
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                parts = parts[2:]
            if parts[0].endswith(".dist-info") and parts[-1] in DROPPED_METADATA:
                continue
            if parts[0] in DROPPED_TOP or "__pycache__" in parts or ".." in parts:
                continue
            data = archive.read(member)
            destination = into.joinpath(*parts)
            if destination.exists():
                if destination.read_bytes() != data:
                    raise Conflict(f"{PurePosixPath(*parts)} of {wheel.name}")
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(data)
            if member.external_attr >> 16 & 0o111:
                destination.chmod(0o755)


def _distributions(libs: Path) -> dict[str, str]:
    found = {}
    for info in sorted(libs.glob("*.dist-info")):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        found[name] = version
    return found


def bundle(target: Target, pythons: list[str], *, force: bool, libs: Path = LIBS) -> Path:
    digest = _inputs_digest(target, pythons)
    manifest_path = libs / MANIFEST
    if not force and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("inputs") == digest:
            print(f"bundle_python: {libs} is up to date ({target.name})", file=sys.stderr)
            return libs
    with tempfile.TemporaryDirectory(prefix="kwdocs-bundle-") as tmp:
        work = Path(tmp)
        # Pure Python (no compiled modules: hatch_build.py): one folder serves every version.
        pure = {**os.environ, "KWDOCS_PURE_PYTHON": "1"}
        _pip("wheel", "--no-deps", "--wheel-dir", str(work / "wheel"), str(REPO), env=pure)
        (wheel,) = (work / "wheel").glob("kwdocs-*.whl")
        merged = work / "libs"
        merged.mkdir()
        for found in _resolve(wheel, target, pythons, work) + _optional(target, work):
            try:
                _unpack(found, merged)
            except Conflict as conflict:
                raise SystemExit(
                    f"bundle_python: {conflict} differs from a file of another wheel: "
                    "one folder cannot serve every version"
                ) from None
        distributions = _distributions(merged)
        manifest = {
            "target": target.name,
            "platforms": list(target.platforms),
            "pythons": pythons,
            "abis": ["cp" + python.replace(".", "") for python in pythons],
            "kwdocs": distributions.get("kwdocs"),
            "distributions": distributions,
            "inputs": digest,
        }
        (merged / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if libs.exists():
            shutil.rmtree(libs)
        libs.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(merged, libs)
    print(
        f"bundle_python: {libs}: kwdocs {manifest['kwdocs']} and {len(distributions) - 1} "
        f"dependencies for CPython {', '.join(pythons)} on {target.name}",
        file=sys.stderr,
    )
    return libs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--target", choices=sorted(TARGETS), help="VS Code target (default: this machine's)"
    )
    parser.add_argument(
        "--pythons", nargs="+", default=list(PYTHONS), metavar="X.Y", help="CPython versions"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument(
        "--libs", type=Path, default=LIBS, metavar="DIR", help="default: bundled/libs"
    )
    args = parser.parse_args(argv)
    bundle(TARGETS[args.target or host_target()], args.pythons, force=args.force, libs=args.libs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
