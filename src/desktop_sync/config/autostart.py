"""Start at logon: the schedule runs in the window, so the window opens when the user logs on.

An option of the schedule (``profile set NAME schedule.at_logon on``). What is
written, per system:

- **Windows**: a value ``desktop-sync`` under
  ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`` (no administrator rights,
  removed with ``off``), running the windowless executable
  (``desktop-sync-gui.exe``, or ``pythonw.exe -m desktop_sync`` from a pip install).
- **Linux**: an XDG autostart entry ``~/.config/autostart/desktop-sync.desktop``.
- elsewhere: nothing; the caller is told so.

The command carries ``--home`` and ``--profile``, so the window opens on that
profile's folder and schedule. A second start only brings the open window forward
(the window is single-instance), so a logon start never makes two schedulers.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
VALUE_NAME = "desktop-sync"
DESKTOP_FILE = "desktop-sync.desktop"


def logon_command(
    profile: str,
    home: Path | None,
    *,
    platform: str = sys.platform,
    executable: str = sys.executable,
    frozen: bool = bool(getattr(sys, "frozen", False)),
) -> list[str]:
    """The command line that opens the window on ``profile`` (argv, unquoted)."""
    windows = platform == "win32"
    exe = PureWindowsPath(executable) if windows else PurePosixPath(executable)
    if frozen:  # the installed build: its windowless executable on Windows
        argv = [str(exe.with_name("desktop-sync-gui.exe") if windows else exe)]
    else:  # a pip install: pythonw (no console window) beside python on Windows
        argv = [str(exe.with_name("pythonw.exe") if windows else exe), "-m", "desktop_sync"]
    if home is not None:
        argv += ["--home", str(home)]
    return [*argv, "--profile", profile]


def windows_command_line(argv: list[str]) -> str:
    """One string as the Run key holds it (Windows quoting rules)."""
    return subprocess.list2cmdline(argv)


def desktop_entry(argv: list[str]) -> str:
    """An XDG autostart entry running ``argv``."""

    def quote(arg: str) -> str:
        if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`%"):
            return arg
        escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
        escaped = escaped.replace("$", "\\$")
        return f'"{escaped}"'

    exec_line = " ".join(quote(a) for a in argv).replace("%", "%%")
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=desktop-sync\n"
        "Comment=1C and Bitrix24 in step: scheduled synchronization\n"
        f"Exec={exec_line}\n"
        "Icon=desktop-sync\n"
        "X-GNOME-Autostart-enabled=true\n"
        "Terminal=false\n"
    )


def _autostart_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart"


RegistryWriter = Callable[[str, str | None], None]


def _windows_registry(name: str, value: str | None) -> None:  # pragma: no cover - Windows
    import winreg

    registry: Any = winreg  # typeshed declares it on Windows only
    with registry.CreateKeyEx(
        registry.HKEY_CURRENT_USER, RUN_KEY, 0, registry.KEY_SET_VALUE
    ) as key:
        if value is None:
            with contextlib.suppress(FileNotFoundError):
                registry.DeleteValue(key, name)
        else:
            registry.SetValueEx(key, name, 0, registry.REG_SZ, value)


def apply(
    enabled: bool,
    profile: str,
    home: Path | None,
    *,
    platform: str = sys.platform,
    registry: RegistryWriter | None = None,
    autostart_dir: Path | None = None,
) -> bool:
    """Write (or remove) the logon start; False where this system has none we support."""
    argv = logon_command(profile, home, platform=platform)
    if platform == "win32":
        writer = registry or _windows_registry
        writer(VALUE_NAME, windows_command_line(argv) if enabled else None)
        return True
    if platform.startswith("linux"):
        target = (autostart_dir or _autostart_dir()) / DESKTOP_FILE
        if enabled:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(desktop_entry(argv), encoding="utf-8")
        else:
            target.unlink(missing_ok=True)
        return True
    return False
