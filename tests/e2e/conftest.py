"""End-to-end fixtures: both sandboxes over real HTTP on loopback, a private home.

Every test that takes ``world`` (or ``configuration``) runs twice: on 1C:Бухгалтерия 3.0
and on 1C:Управление торговлей 11. ``world.story`` makes 1C documents the way that
configuration's forms do (see ``story.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_sync.config import AppPaths, Profile, ProfileStore
from desktop_sync.engine.service import SyncService
from desktop_sync.sandbox import bitrix24, onec

from .story import STORIES, Story

CONFIGURATIONS = ("bp30", "ut11")


@dataclass
class World:
    onec: onec.OnecSandbox
    crm: bitrix24.Bitrix24Sandbox
    paths: AppPaths
    profile: Profile

    @property
    def configuration(self) -> str:
        return self.profile.configuration

    @property
    def story(self) -> Story:
        return STORIES[self.configuration](self.onec)

    def service(self) -> SyncService:
        return SyncService.open(self.profile, self.paths)

    def env(self) -> dict[str, str]:
        return {
            "DESKTOP_SYNC_HOME": str(self.paths.config_dir.parent),
            "DESKTOP_SYNC_ONEC_PASSWORD": self.onec.password,
            "DESKTOP_SYNC_CRM_SECRET": self.crm.webhook,
        }


def make_world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    rate_limit: bool = False,
    send_stage: str = "DT31_1:S",
    onec_faults: str = "",
    crm_faults: str = "",
    setup: bool = True,
    configuration: str = "bp30",
) -> Iterator[World]:
    one = onec.start(port=0, faults=onec_faults, configuration=configuration)
    crm = bitrix24.start(port=0, rate_limit=rate_limit, faults=crm_faults)
    try:
        paths = AppPaths.resolve(tmp_path / "home")
        paths.ensure()
        monkeypatch.setenv("DESKTOP_SYNC_ONEC_PASSWORD", one.password)
        monkeypatch.setenv("DESKTOP_SYNC_CRM_SECRET", crm.webhook)
        profile = Profile(
            name="shop",
            onec_url=one.url,
            onec_user=one.user,
            crm_url=crm.url,
            configuration=configuration,
            stages={"send": send_stage} if send_stage else {},
            crm_throttle=rate_limit,  # the sandbox limits nothing: no need to pace
        )
        profile = ProfileStore(paths.profiles_file).add(profile)
        world = World(one, crm, paths, profile)
        if setup:  # what the portal administrator does once
            with world.service() as svc:
                svc.setup()
        yield world
    finally:
        one.stop()
        crm.stop()


@pytest.fixture(params=CONFIGURATIONS)
def configuration(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configuration: str) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, configuration=configuration)
