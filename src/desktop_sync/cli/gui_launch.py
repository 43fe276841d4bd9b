"""Opening the window from the CLI: Qt is imported only here, and only on demand.

Before Qt is touched, what it needs is checked, because Qt does not give reasons:
with no display, or without one of the X11 libraries of its ``xcb`` platform, it
aborts the process (SIGABRT, «Reinstalling the application may fix this
problem»). On Linux we look for a display first, then for each library of the
``xcb`` platform, and name the Debian/Ubuntu packages that are missing.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import importlib
import os
import socket
import sys
from collections.abc import Callable, Mapping
from typing import Any

from desktop_sync.cli.context import CommandError, Context
from desktop_sync.i18n import tr

# What Qt 6's xcb platform plugin loads: the library name for find_library, and the
# Debian/Ubuntu package that provides it.
XCB_LIBRARIES: tuple[tuple[str, str], ...] = (
    ("xcb", "libxcb1"),
    ("X11-xcb", "libx11-xcb1"),
    ("xcb-cursor", "libxcb-cursor0"),
    ("xcb-icccm", "libxcb-icccm4"),
    ("xcb-keysyms", "libxcb-keysyms1"),
    ("xcb-image", "libxcb-image0"),
    ("xcb-render-util", "libxcb-render-util0"),
    ("xcb-randr", "libxcb-randr0"),
    ("xcb-shape", "libxcb-shape0"),
    ("xcb-shm", "libxcb-shm0"),
    ("xcb-sync", "libxcb-sync1"),
    ("xcb-xfixes", "libxcb-xfixes0"),
    ("xcb-xkb", "libxcb-xkb1"),
    ("xkbcommon", "libxkbcommon0"),
    ("xkbcommon-x11", "libxkbcommon-x11-0"),
    ("fontconfig", "libfontconfig1"),
    ("EGL", "libegl1"),
    ("GL", "libgl1"),
    ("dbus-1", "libdbus-1-3"),
)


def _platform(env: Mapping[str, str]) -> str:
    """The Qt platform plugin that would be used: QT_QPA_PLATFORM, else by the session."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if chosen:
        return chosen
    if env.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb"


def missing_packages(
    find: Callable[[str], str | None] = ctypes.util.find_library,
) -> list[str]:
    """Debian packages of the xcb platform's libraries that are not installed."""
    return [package for name, package in XCB_LIBRARIES if not find(name)]


def x_display_answers(display: str, timeout: float = 2.0) -> bool:
    """Whether an X server listens for ``display`` (``:0``, ``unix:1``, ``host:10.0``).

    Qt aborts the process when it cannot connect; this asks the same socket first.
    A display we cannot parse counts as answering (Qt will say what it finds).
    """
    host, sep, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not sep or not number.isdigit():
        return True
    if host in ("", "unix") or host.startswith("/"):
        names = [f"\0/tmp/.X11-unix/X{number}", f"/tmp/.X11-unix/X{number}"]  # noqa: S108
        if host.startswith("/"):  # macOS launchd-style paths: not ours to judge
            return True
        for name in names:
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(timeout)
                sock.connect(name)
                return True
        return False
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=timeout):
            return True
    except OSError:
        return False


def check_can_open_window(
    env: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    find: Callable[[str], str | None] = ctypes.util.find_library,
    answers: Callable[[str], bool] | None = None,
) -> None:
    """Raise a one-line :class:`CommandError` (exit 2) when Qt could not open a window."""
    if not platform.startswith("linux"):
        return  # Windows and macOS: the installer carries what Qt needs
    env = os.environ if env is None else env
    answers = answers or x_display_answers
    qpa = _platform(env)
    if qpa in ("offscreen", "minimal", "vnc", "eglfs", "linuxfb"):
        return
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        raise CommandError(
            tr(
                "no display here to open the window on (neither DISPLAY nor WAYLAND_DISPLAY "
                "is set); use the command line instead (`desktop-sync --help`), or "
                "`desktop-sync demo --headless` for the demo"
            )
        )
    if qpa == "xcb":
        missing = missing_packages(find)
        if missing:
            raise CommandError(
                tr(
                    "the window needs system libraries that are not installed; install them "
                    "with: sudo apt install {packages}"
                ).format(packages=" ".join(missing))
            )
    if qpa == "xcb" and env.get("DISPLAY") and not answers(env["DISPLAY"]):
        raise CommandError(
            tr(
                "the display {display} does not answer (no X server there); start the "
                "desktop session, or use the command line (`desktop-sync --help`)"
            ).format(display=env["DISPLAY"])
        )


def launch_gui(ctx: Context) -> int:
    check_can_open_window()
    try:
        app: Any = importlib.import_module("desktop_sync.gui.app")
    except ModuleNotFoundError as exc:
        if exc.name == "desktop_sync.gui.app":
            raise CommandError(
                tr("the window is not available in this version yet; see `desktop-sync --help`")
            ) from None
        raise CommandError(
            tr("the window cannot open: Qt is not available ({error})").format(error=exc)
        ) from None
    return int(app.run_gui(ctx.paths, ctx.profile_name))
