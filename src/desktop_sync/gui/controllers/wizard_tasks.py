"""What the connection wizard runs in the worker: save and test a profile, prepare the
CRM, save the stage and warehouse mapping, forget a connection that never worked.

Each function returns a task for :class:`desktop_sync.gui.workers.Runner`; nothing here
touches a widget. The systems are reached only through the door (``SyncService``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from desktop_sync.config import AppPaths, Profile
from desktop_sync.config.secrets import SecretKind, SecretStore
from desktop_sync.engine.profiles_door import ProfilesDoor
from desktop_sync.i18n import N_, tr

log = logging.getLogger(__name__)

T = TypeVar("T")
TaskOf = Callable[[Callable[[Any], None], threading.Event], T]


@dataclass(frozen=True)
class Checked:
    """What a successful test brings back: the systems' real stages and warehouses."""

    message: str
    stages: list[tuple[str, str]] = field(default_factory=list)  # (id, name)
    onec_warehouses: list[str] = field(default_factory=list)
    crm_stores: list[tuple[str, str]] = field(default_factory=list)  # (id, name)
    deal_stages: list[tuple[str, str]] = field(default_factory=list)  # F9: (id, name)


def save_and_test(
    paths: AppPaths, profile: Profile, secrets: dict[SecretKind, str], *, test: bool = True
) -> TaskOf[Checked]:
    """A worker task: validate and save the profile, store the secrets, log in to both,
    and read the CRM's invoice stages and both systems' warehouses for the mapping."""

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> Checked:
        from desktop_sync.engine.service import SyncService

        checked = profile.validate()
        store = SecretStore(checked.uuid)
        for kind, value in secrets.items():
            if value:
                store.set(kind, value)
        profiles = ProfilesDoor(paths)
        before = profiles.find(checked.name)
        profiles.save(checked)  # the start at logon switched if that choice changed
        if not test:
            return Checked(tr("Saved."))
        progress(tr("Connecting to 1C and Bitrix24…"))
        try:
            with SyncService.open(checked, paths) as svc:
                choices = svc.setting_choices()
        except BaseException:
            if before is None:  # a new connection that does not work is not kept half-made
                forget(paths, checked)
            raise
        return Checked(
            tr("Both systems answered: the connection works."),
            [(c.id, c.name) for c in choices.stages],
            list(choices.warehouses),
            [(c.id, c.name) for c in choices.stores],
            [(c.id, c.name) for c in choices.deal_stages],
        )

    return task


def forget(paths: AppPaths, profile: Profile) -> None:
    """Remove a profile the wizard saved for its check: the profile, its secrets, its
    start at logon. Nothing of a connection that never worked stays behind."""
    ProfilesDoor(paths).forget(profile, quiet=True)


def forget_task(paths: AppPaths, profile: Profile) -> TaskOf[None]:
    def task(progress: Callable[[Any], None], cancel: threading.Event) -> None:
        forget(paths, profile)

    return task


def prepare_crm(paths: AppPaths, name: str) -> TaskOf[str]:
    """``desktop-sync setup`` from the window: the CRM fields the sync writes to."""

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> str:
        from desktop_sync.engine.service import SyncService

        profile = ProfilesDoor(paths).get(name)
        with SyncService.open(profile, paths) as svc:
            created = svc.setup()
        if not created:
            return tr("The CRM already has every field the synchronization writes to.")
        return tr("Created in the CRM: {fields}.").format(fields=", ".join(created))

    return task


DEAL_MEANINGS = {  # F9: one pipeline's stages (another's: profile set NAME deal.N.send …)
    "send": N_("Deals: send to 1C (creates the invoice in 1C)"),
    "paid": N_("Deals: paid in full"),
}


def deal_pipeline(stage: str) -> str:
    """A deal stage's pipeline: ``C1:UC_AGREED`` is pipeline 1's, ``NEW`` pipeline 0's."""
    head, sep, _ = stage.partition(":")
    return head[1:] if sep and head[1:].isdigit() else "0"


def merged_deals(
    before: dict[str, dict[str, str]], chosen: dict[str, str]
) -> dict[str, dict[str, str]]:
    """The profile's deal stages (``before``) with the wizard's ``chosen`` stage of each
    meaning (empty: none) in the pipeline it belongs to; other pipelines' stages kept."""
    out = {k: {m: s for m, s in v.items() if m not in chosen} for k, v in before.items()}
    for meaning, stage in chosen.items():
        if stage:
            out.setdefault(deal_pipeline(stage), {})[meaning] = stage
    return {k: v for k, v in out.items() if v}


def save_mapping(
    paths: AppPaths,
    name: str,
    stages: dict[str, str],
    warehouses: dict[str, str],
    deals: dict[str, dict[str, str]] | None = None,
) -> TaskOf[str]:
    """The stages, warehouses and (``deals``, F9) deal pipelines' stages chosen."""

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> str:
        more = {} if deals is None else {"deal_stages": deals}
        ProfilesDoor(paths).change(name, stages=stages, warehouses=warehouses, **more)
        return name

    return task


def save_schedule(paths: AppPaths, name: str, minutes: int, at_logon: bool) -> TaskOf[Profile]:
    """The schedule alone: the interval and the start at logon (written only on a change)."""

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> Profile:
        return ProfilesDoor(paths).change(name, schedule_minutes=minutes, start_at_logon=at_logon)

    return task
