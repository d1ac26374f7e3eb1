"""The wheel's build step: kwdocs's hot modules compiled with mypyc (``kwdocs/compiled.py``) and
put in the wheel beside their sources, so ``pipx install .`` installs kwdocs compiled. Where the
build cannot be made (no C compiler, say) the wheel is pure Python, and says why on stderr:
kwdocs runs the same either way. Editable installs are left pure: a checkout builds its own with
``kwdocs compile`` (``scripts/test.sh`` does)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_BUILD = "from kwdocs.compiled import build; print(build())"


class CompiledModulesHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        if os.environ.get("KWDOCS_PURE_PYTHON"):
            return  # asked for a pure wheel (the VS Code extension's bundle serves every CPython)
        server = Path(self.root) / "server"
        # Its own interpreter: the build imports nothing of kwdocs but this module, and a
        # failure must not end the wheel's build. pip's isolated build environment (mypy among
        # its packages) reaches it through PYTHONPATH too: kept, after the sources.
        path = os.pathsep.join(filter(None, [str(server), os.environ.get("PYTHONPATH")]))
        done = subprocess.run(
            [sys.executable, "-c", _BUILD],
            env={**os.environ, "PYTHONPATH": path, "KWDOCS_PURE_PYTHON": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if done.returncode != 0:
            print(
                "kwdocs: the compiled modules could not be built; the wheel is pure Python.\n"
                + done.stdout[-3000:],
                file=sys.stderr,
            )
            return
        folder = Path(done.stdout.strip().splitlines()[-1])
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["force_include"][str(folder)] = f"kwdocs/_compiled/{folder.name}"
