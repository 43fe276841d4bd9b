"""Where config, data and logs live: platformdirs, or one folder given by --home."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "desktop-sync"
HOME_ENV = "DESKTOP_SYNC_HOME"


class InFolder:
    """A file of one of the folders, named once: ``paths.log_file`` is
    ``paths.log_dir / "desktop-sync.log"``."""

    def __init__(self, folder: str, name: str) -> None:
        self.folder = folder
        self.name = name

    def __get__(self, paths: AppPaths, owner: type[AppPaths] | None = None) -> Path:
        folder: Path = getattr(paths, self.folder)
        return folder / self.name


@dataclass(frozen=True, slots=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path
    home: Path | None = None  # the one folder of --home / DESKTOP_SYNC_HOME, if given

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> AppPaths:
        """``home`` (or ``$DESKTOP_SYNC_HOME``) puts everything in one folder."""
        chosen = home if home is not None else os.environ.get(HOME_ENV) or None
        if chosen is not None:
            root = Path(chosen).expanduser().resolve()
            return cls(root / "config", root / "data", root / "logs", root)
        return cls(
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    profiles_file = InFolder("config_dir", "profiles.json")
    log_file = InFolder("log_dir", "desktop-sync.log")  # the commands' (sync …, scheduled tasks)
    # the window's log: a file of its own, never shared with a command running beside it
    gui_log_file = InFolder("log_dir", "desktop-sync-gui.log")
    # ``desktop-sync service``'s log: it runs for days beside the commands
    service_log_file = InFolder("log_dir", "desktop-sync-service.log")

    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    def lock_path(self, profile_uuid: str) -> Path:
        return self.data_dir / "locks" / f"{profile_uuid}.lock"

    def ensure(self) -> None:
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
