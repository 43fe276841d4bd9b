"""End-to-end fixtures: both sandboxes over real HTTP on loopback, a private home.

Every test that takes ``world`` (or ``configuration``) runs twice: on 1C:Бухгалтерия 3.0
and on 1C:Управление торговлей 11. ``world.story`` makes 1C documents the way that
configuration's forms do (see ``story.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from desktop_sync.config import AppPaths, Profile, ProfileStore
from desktop_sync.engine.records import Plan, RunSummary
from desktop_sync.engine.service import SyncService
from desktop_sync.i18n import language, set_language
from desktop_sync.journal.links import LinkValues
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

    def sync(self, lang: str | None = None, **run: Any) -> tuple[RunSummary, Plan]:
        """One synchronisation through the door (``run``: ``SyncService.run``'s
        arguments), its words in ``lang`` if given; nothing may fail."""
        was = language()
        set_language(lang or was)
        try:
            with self.service() as svc:
                summary, plan = svc.run(**run)
        finally:
            set_language(was)
        assert summary.counts.get("failed", 0) == 0, summary.failures
        return summary, plan

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


def set_profile(world: World, *settings: tuple[str, str]) -> None:
    """Profile settings (``profile set`` keys), saved as the command saves them."""
    profile = world.profile
    for key, value in settings:
        profile = profile.with_setting(key, value)
    ProfileStore(world.paths.profiles_file).put(profile)
    world.profile = profile


def converge(world: World, runs: int = 4) -> None:
    """Synchronise until a run plans nothing (failures allowed on the way)."""
    for _ in range(runs):
        with world.service() as svc:
            _summary, plan = svc.run()
        if not plan.operations:
            return
    raise AssertionError(f"no convergence: {[op.reason for op in plan.operations[:5]]}")


def phone_changed_in_1c(world: World) -> list[LinkValues]:
    """A linked counterparty's phone changed in 1C (a field desktop-sync does not write
    to the CRM); the counterparties' links as they were before."""
    with world.service() as svc:
        links = svc.journal.links("counterparty")
    link = next(lk for lk in links if lk.onec_values.get("phone") and lk.onec_ref)
    record = world.onec.store.get(world.story.counterparties, link.onec_ref or "")
    assert record is not None
    contacts = [dict(r) for r in record["КонтактнаяИнформация"]]
    phone = next(r for r in contacts if r["Тип"] == "Телефон")
    phone["НомерТелефона"] = phone["Представление"] = "+7 (495) 111-22-33"
    with world.story.client() as c:
        c.connect()
        c.update(
            world.story.counterparties, link.onec_ref or "", {"КонтактнаяИнформация": contacts}
        )
    return links


def only_pdfs_left(world: World) -> None:
    """Everything synchronised with the printed invoices (F11) off, then switched on:
    the next run has only the PDFs to make."""
    set_profile(world, ("print.invoice_pdf", "off"))
    converge(world)
    set_profile(world, ("print.invoice_pdf", "on"))


def noted(texts: Iterable[str], number: str) -> int:
    """How many of a timeline's comments note the 1C document ``number`` («… № 801 от …»,
    "… No. 801 of …"). Not a bare ``number in text``: a comment's key marker is hex
    («[desktop-sync:…8302ef801794]») and holds such digits by chance (one run in 15)."""
    return sum(f"№ {number} " in t or f"No. {number} " in t for t in texts)


@pytest.fixture(params=CONFIGURATIONS)
def configuration(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configuration: str) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, configuration=configuration)


@pytest.fixture
def payloads_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SyncService.run`` hands its plan back without the operations' payloads (each is
    let go once written: issue 18); a test that reads what the run's writes carried keeps
    them. tests/e2e/test_apply_lets_go.py checks the run without this."""
    monkeypatch.setattr(Plan, "without_payloads", lambda plan: plan)
