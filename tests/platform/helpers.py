"""Running the installed ``desktop-sync`` command as Windows would feed it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.killing import HANG

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"


def cli_env(home: Path, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["DESKTOP_SYNC_HOME"] = str(home)
    env["DESKTOP_SYNC_LANG"] = "en"
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra_env or {})
    return env


def run_cli(
    home: Path,
    *args: str,
    ansi: str | None = None,
    text: bool = True,
    timeout: float = HANG,
    extra_env: dict[str, str] | None = None,
    stdin: Any = None,
) -> subprocess.CompletedProcess[Any]:
    """``ansi``: the code page a pipe gets on Windows (PYTHONIOENCODING), e.g. cp1251."""
    env = cli_env(home, extra_env)
    if ansi:
        env["PYTHONIOENCODING"] = ansi
    if text:
        return subprocess.run(
            [EXE, *args], capture_output=True, text=True, encoding="utf-8", env=env,
            timeout=timeout, check=False, stdin=stdin,
        )  # fmt: skip
    return subprocess.run(
        [EXE, *args], capture_output=True, env=env, timeout=timeout, check=False, stdin=stdin
    )
