"""What the connection wizard runs in the worker: save and test a profile, prepare the
CRM, save the stage and warehouse mapping, forget a connection that never worked.

Each function returns a task for :class:`desktop_sync.gui.workers.Runner`; nothing here
touches a widget. The systems are reached only through the door (``SyncService``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from desktop_sync.config import AppPaths, ConfigError, Profile, ProfileStore
from desktop_sync.config.secrets import SecretKind, SecretStore
from desktop_sync.i18n import tr

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


def _apply_autostart(before: Profile | None, after: Profile, paths: AppPaths) -> None:
    """Start at logon switched on or off only when the choice changed."""
    if after.start_at_logon != bool(before and before.start_at_logon):
        from desktop_sync.config import autostart

        autostart.apply(after.start_at_logon, after.name, paths.home)


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
        profiles = ProfileStore(paths.profiles_file)
        before = profiles.load().get(checked.name)
        profiles.put(checked)
        _apply_autostart(before, checked, paths)
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
        )

    return task


def forget(paths: AppPaths, profile: Profile) -> None:
    """Remove a profile the wizard saved for its check: the profile, its secrets, its
    start at logon. Nothing of a connection that never worked stays behind."""
    with contextlib.suppress(ConfigError):
        ProfileStore(paths.profiles_file).remove(profile.name)
    try:
        SecretStore(profile.uuid).delete_all()
    except Exception:  # no keyring: nothing was stored in it either
        log.info("no secrets to remove for the abandoned profile")
    if profile.start_at_logon:
        from desktop_sync.config import autostart

        autostart.apply(False, profile.name, paths.home)


def forget_task(paths: AppPaths, profile: Profile) -> TaskOf[None]:
    def task(progress: Callable[[Any], None], cancel: threading.Event) -> None:
        forget(paths, profile)

    return task


def prepare_crm(paths: AppPaths, name: str) -> TaskOf[str]:
    """``desktop-sync setup`` from the window: the CRM fields the sync writes to."""

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> str:
        from desktop_sync.engine.service import SyncService

        profile = ProfileStore(paths.profiles_file).get(name)
        with SyncService.open(profile, paths) as svc:
            created = svc.setup()
        if not created:
            return tr("The CRM already has every field the synchronisation writes to.")
        return tr("Created in the CRM: {fields}.").format(fields=", ".join(created))

    return task


def save_mapping(
    paths: AppPaths, name: str, stages: dict[str, str], warehouses: dict[str, str]
) -> TaskOf[str]:
    def task(progress: Callable[[Any], None], cancel: threading.Event) -> str:
        store = ProfileStore(paths.profiles_file)
        profile = store.get(name)
        store.put(dataclasses.replace(profile, stages=stages, warehouses=warehouses))
        return name

    return task


def save_schedule(paths: AppPaths, name: str, minutes: int, at_logon: bool) -> TaskOf[Profile]:
    """The schedule alone: the interval and the start at logon (written only on a change)."""

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> Profile:
        store = ProfileStore(paths.profiles_file)
        before = store.get(name)
        after = store.put(
            dataclasses.replace(before, schedule_minutes=minutes, start_at_logon=at_logon)
        )
        _apply_autostart(before, after, paths)
        return after

    return task
