"""Opening the window from the CLI: Qt is imported only here, and only on demand."""

from __future__ import annotations

import importlib
from typing import Any

from desktop_sync.cli.context import CommandError, Context
from desktop_sync.i18n import tr


def launch_gui(ctx: Context) -> int:
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
