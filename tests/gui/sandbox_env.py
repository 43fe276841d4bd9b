"""Both sandboxes and a profile pointing at them, for the window's end-to-end tests and the
screenshot command. Secrets travel by the environment variables, never written anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from desktop_sync.config import AppPaths, Profile, ProfileStore
from desktop_sync.config.environment import secrets_environment


@dataclass
class SandboxEnv:
    paths: AppPaths
    profile: Profile
    onec: object
    crm: object


@contextmanager
def sandbox_env(
    home: Path, size: str = "small", schedule_minutes: int = 0, configuration: str = "bp30"
) -> Iterator[SandboxEnv]:
    from desktop_sync.sandbox import bitrix24, onec

    onec_sb = onec.start(port=0, size=size, configuration=configuration)
    crm_sb = bitrix24.start(port=0, size=size, rate_limit=False)
    try:
        with secrets_environment(onec_sb.password, crm_sb.webhook):
            paths = AppPaths.resolve(home)
            paths.ensure()
            profile = Profile(
                name="demo",
                onec_url=onec_sb.url,
                onec_user=onec_sb.user,
                crm_url=crm_sb.url,
                configuration=configuration,
                stages={"send": "DT31_1:UC_TO1C"},
                schedule_minutes=schedule_minutes,
                demo=True,
            )
            profile = ProfileStore(paths.profiles_file).put(profile)
            yield SandboxEnv(paths, profile, onec_sb, crm_sb)
    finally:
        crm_sb.stop()
        onec_sb.stop()


@contextmanager
def demo_env(home: Path, configuration: str = "bp30") -> Iterator[SandboxEnv]:
    """What ``desktop-sync demo`` opens, made by the demo's own pieces: its sandboxes and
    seed, its profile (F8's start day, the deal pipeline, the send stage) and the CRM's
    custom fields set up, so screenshots show what the demo shows."""
    from desktop_sync.cli.demo_cmd import demo_profile, running_sandboxes
    from desktop_sync.engine.profiles_door import ProfilesDoor
    from desktop_sync.engine.service import SyncService

    with (
        running_sandboxes(configuration=configuration) as boxes,
        secrets_environment(boxes.onec_password, boxes.crm_webhook),
    ):
        paths = AppPaths.resolve(home)
        paths.ensure()
        profile = demo_profile(ProfilesDoor(paths), boxes, configuration)
        with SyncService.open(profile, paths, crm_throttle=False) as svc:
            svc.setup()  # as the demo does: what an administrator runs once
        yield SandboxEnv(paths, profile, boxes, boxes)


@contextmanager
def loaded_window(qtbot: object, env: SandboxEnv, profile: str = "demo") -> Iterator[object]:
    """The window on ``profile``, its first read of both systems done; shut down after."""
    from desktop_sync.engine.service import SyncService
    from desktop_sync.gui.controllers.main_controller import MainController

    c = MainController(
        env.paths,
        profile,
        open_service=lambda p, paths: SyncService.open(p, paths, crm_throttle=False),
    )
    qtbot.addWidget(c.window)  # type: ignore[attr-defined]
    try:
        qtbot.waitUntil(  # type: ignore[attr-defined]
            lambda: c.snapshot is not None and not c.runner.busy, timeout=60_000
        )
        yield c
    finally:
        c.shutdown()
