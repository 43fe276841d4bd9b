"""The door to the profiles: what the command line and the window do with them.

A profile names the pair of systems, the mapping and the schedule (``config.profiles``);
its two secrets are in the OS keyring (``config.secrets``); a profile may start the
window at logon (``config.autostart``). The fronts keep all three in step through
this door: a profile removed takes its secrets and its start at logon with it; a
profile saved switches the start at logon only when that choice changed.

Light on purpose (the profiles file and the keyring only): a command that only reads
profiles does not load the engine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging

from desktop_sync.config import AppPaths, ConfigError, Profile
from desktop_sync.config.profiles import ProfileStore
from desktop_sync.config.secrets import SecretStore

log = logging.getLogger(__name__)


class ProfilesDoor:
    """The profiles of one home (``AppPaths``): read, add, change, remove."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self._store = ProfileStore(paths.profiles_file)

    # -- reading ------------------------------------------------------------------------

    def load(self) -> dict[str, Profile]:
        """Every profile by name (``ConfigError``: the file is damaged, said how)."""
        return self._store.load()

    def get(self, name: str | None) -> Profile:
        """The named profile, or the only one, or ``default`` (``ConfigError`` naming
        what to type instead)."""
        return self._store.get(name)

    def find(self, name: str | None) -> Profile | None:
        """The named profile if there is one; None also for a damaged file (the front
        that shows profiles reports that itself)."""
        try:
            return self._store.load().get(name or "")
        except (ConfigError, OSError):
            return None

    def default_name(self) -> str | None:
        """The one real profile when the demo's is beside it: the demo never gets in
        the way. None leaves the choice to :meth:`get` (the only one, or an error
        naming them)."""
        try:
            profiles = self._store.load()
        except ConfigError:  # a broken profiles file is reported by the command itself
            return None
        real = [name for name, p in profiles.items() if not p.demo]
        if len(real) == 1 and len(profiles) > 1:
            return real[0]
        return None

    # -- writing ------------------------------------------------------------------------

    def add(self, profile: Profile) -> Profile:
        """A new profile (``ConfigError`` when the name is taken or a value is wrong)."""
        return self._store.add(profile)

    def put(self, profile: Profile) -> Profile:
        """Save the profile as it is now (new or changed), validated first."""
        return self._store.put(profile)

    def save(self, profile: Profile) -> Profile:
        """:meth:`put`, and the start at logon switched when that choice changed."""
        before = self._store.load().get(profile.name)
        after = self._store.put(profile)
        if after.start_at_logon != bool(before and before.start_at_logon):
            self.start_at_logon(after)
        return after

    def change(self, name: str, **changes: object) -> Profile:
        """Some of a profile's fields changed (``stages=…``, ``schedule_minutes=…``)."""
        return self.save(dataclasses.replace(self._store.get(name), **changes))  # type: ignore[arg-type]

    def set(self, name: str, key: str, value: str) -> Profile:
        """One setting as ``profile set NAME KEY VALUE`` writes it."""
        return self._store.put(self._store.get(name).with_setting(key, value))

    def remove(self, name: str) -> Profile:
        """Only the profile (its secrets stay: :meth:`forget` removes everything)."""
        return self._store.remove(name)

    def forget(self, profile: Profile, *, quiet: bool = False) -> bool | None:
        """The profile, its secrets in the keyring and its start at logon: nothing of
        it stays behind (the journal is kept). ``quiet``: a profile or a keyring that is
        not there is no error (the window's half-made connection). Returns what
        :meth:`start_at_logon` did (None: the profile did not start at logon)."""
        if quiet:
            with contextlib.suppress(ConfigError):
                self._store.remove(profile.name)
            try:
                SecretStore(profile.uuid).delete_all()
            except Exception:  # no keyring: nothing was stored in it either
                log.info("no secrets to remove for the abandoned profile")
        else:
            SecretStore(profile.uuid).delete_all()  # KeyringUnavailable: said so, nothing lost
            self._store.remove(profile.name)
        if not profile.start_at_logon:
            return None
        # nothing left to open at logon for it
        return self.start_at_logon(dataclasses.replace(profile, start_at_logon=False))

    def start_at_logon(self, profile: Profile) -> bool:
        """Open the window at logon for this profile, or no longer; False: this system
        cannot (nothing was changed)."""
        from desktop_sync.config import autostart

        return autostart.apply(profile.start_at_logon, profile.name, self.paths.home)
