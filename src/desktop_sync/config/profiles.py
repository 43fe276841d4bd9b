"""Profiles: named connection settings, kept as a readable JSON file.

A profile never holds a secret: the 1C password and the Bitrix24 webhook URL live
in the OS keyring (``config.secrets``), keyed by the profile's stable UUID.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import uuid
import zoneinfo
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from desktop_sync.config.errors import ConfigError
from desktop_sync.config.files import replace_file
from desktop_sync.config.urls import check_journal_url, check_url
from desktop_sync.i18n import tr

CONFIGURATIONS = ("bp30", "ut11")
CRM_KINDS = ("bitrix24",)
STAGE_MEANINGS = ("send", "paid", "partly_paid", "shipped", "cancelled", "ship", "issued")
_NAME = re.compile(r"^[\w][\w .-]{0,63}$")
FILE_VERSION = 1


@dataclass(frozen=True)
class Profile:
    name: str
    onec_url: str
    onec_user: str
    crm_url: str
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    configuration: str = "bp30"
    organization: str = ""
    order_warehouse: str = ""  # UT 11: the 1C warehouse of orders made from the CRM
    onec_timezone: str = "Europe/Moscow"
    onec_ca_file: str = ""  # a 1C publication's own certificate, added to the system's roots
    crm_kind: str = "bitrix24"
    stages: dict[str, str] = field(default_factory=dict)  # meaning -> CRM stage id
    warehouses: dict[str, str] = field(default_factory=dict)  # 1C warehouse name -> store id
    filters: dict[str, str] = field(default_factory=dict)
    schedule_minutes: int = 0  # 0 = no automatic runs
    start_at_logon: bool = False  # open the window (and its schedule) when the user logs on
    journal_url: str = ""  # empty = the SQLite file in the data dir
    crm_throttle: bool = True  # pace requests to the portal's limit; off only for a sandbox
    # F9: deal pipeline id -> {meaning: stage id} ("send", "paid", "partly_paid", "ship");
    # a deal with a smart invoice of its own: which of the two is sent ("invoice"/"deal")
    deal_stages: dict[str, dict[str, str]] = field(default_factory=dict)
    sale_carrier: str = "invoice"
    invoice_pdf: bool = True  # F11: the printed invoice (PDF) on the CRM invoice's timeline
    ship_post: bool = False  # F10: the sales document is posted at once (else by the accountant)
    # F8: 1C invoices dated on or after this day (ISO; empty: the first of the current
    # month) reach the CRM, with this CRM user responsible (a user id; empty: the CRM's choice)
    issued_since: str = ""
    crm_responsible: str = ""
    demo: bool = False

    def validate(self) -> Profile:
        if not _NAME.match(self.name):
            raise ConfigError(
                tr(
                    "profile name «{name}»: use letters, digits, spaces, '.', '-' or '_' "
                    "(at most 64)"
                ).format(name=self.name)
            )
        onec_url = check_url(self.onec_url, tr("1C URL"))
        crm_url = check_url(self.crm_url, tr("CRM URL"))
        if not self.onec_user.strip():
            raise ConfigError(tr("1C user: must not be empty"))
        if self.configuration not in CONFIGURATIONS:
            raise ConfigError(
                tr("configuration «{value}»: expected one of {allowed}").format(
                    value=self.configuration, allowed=", ".join(CONFIGURATIONS)
                )
            )
        if self.crm_kind not in CRM_KINDS:
            raise ConfigError(
                tr("CRM kind «{value}»: only bitrix24 is supported").format(value=self.crm_kind)
            )
        try:
            zoneinfo.ZoneInfo(self.onec_timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            if not zoneinfo.available_timezones():
                raise ConfigError(
                    tr(
                        "1C server time zone «{value}»: this computer has no time-zone "
                        "database; reinstall desktop-sync (it carries the tzdata package)"
                    ).format(value=self.onec_timezone)
                ) from None
            raise ConfigError(
                tr(
                    "1C server time zone «{value}»: not a known zone "
                    "(e.g. Europe/Moscow, Asia/Yekaterinburg)"
                ).format(value=self.onec_timezone)
            ) from None
        for meaning in self.stages:
            if meaning not in STAGE_MEANINGS:
                raise ConfigError(
                    tr("stage.{meaning}: unknown meaning; expected one of {allowed}").format(
                        meaning=meaning, allowed=", ".join(STAGE_MEANINGS)
                    )
                )
        if self.onec_ca_file and not Path(self.onec_ca_file).is_file():
            raise ConfigError(
                tr("onec.ca_file: there is no file {path}").format(path=self.onec_ca_file)
            )
        if self.schedule_minutes < 0:
            raise ConfigError(tr("schedule.minutes: must be 0 (off) or a positive number"))
        try:
            uuid.UUID(self.uuid)
        except ValueError:
            raise ConfigError(
                tr("profile {name}: damaged uuid «{value}»").format(name=self.name, value=self.uuid)
            ) from None
        return replace(
            self,
            onec_url=onec_url,
            crm_url=crm_url,
            onec_user=self.onec_user.strip(),
            journal_url=check_journal_url(self.journal_url),
        )

    def with_setting(self, key: str, value: str) -> Profile:
        """Apply ``profile set NAME KEY VALUE``."""
        head, _, rest = key.partition(".")
        if head == "stage" and rest:
            return replace(self, stages=_set_or_drop(self.stages, rest, value)).validate()
        if head == "warehouse" and rest:
            if value and not value.isdigit():
                raise ConfigError(
                    tr("{key}: the Bitrix24 store id must be a number").format(key=key)
                )
            return replace(self, warehouses=_set_or_drop(self.warehouses, rest, value))
        if head == "filter" and rest:
            return replace(self, filters=_set_or_drop(self.filters, rest, value))
        if head == "deal" and rest:
            return _deal_setting(self, rest, value.strip())
        simple = {
            "onec.url": "onec_url",
            "onec.user": "onec_user",
            "onec.timezone": "onec_timezone",
            "crm.url": "crm_url",
            "configuration": "configuration",
            "organization": "organization",
            "onec.warehouse": "order_warehouse",
            "journal.url": "journal_url",
            "onec.ca_file": "onec_ca_file",
        }
        if key == "onec.ca_file" and value:
            # Kept absolute: a scheduled run starts in another working folder.
            value = str(Path(value).expanduser().resolve())
        if key in simple:
            changes: dict[str, Any] = {simple[key]: value}
            return replace(self, **changes).validate()
        if key == "crm.throttle":
            if value not in ("on", "off"):
                raise ConfigError(tr("crm.throttle: expected on or off"))
            return replace(self, crm_throttle=value == "on")
        if key in ("onec.invoices_since", "crm.responsible"):
            return _issued_setting(self, key, value.strip())
        if key == "print.invoice_pdf":
            if value not in ("on", "off"):
                raise ConfigError(tr("print.invoice_pdf: expected on or off"))
            return replace(self, invoice_pdf=value == "on")
        if key == "ship.post":  # F10: post the sales document at once (else the accountant)
            if value not in ("on", "off"):
                raise ConfigError(tr("ship.post: expected on or off"))
            return replace(self, ship_post=value == "on")
        if key == "schedule.at_logon":
            if value not in ("on", "off"):
                raise ConfigError(tr("schedule.at_logon: expected on or off"))
            return replace(self, start_at_logon=value == "on")
        if key == "schedule.minutes":
            try:
                minutes = int(value)
            except ValueError:
                raise ConfigError(
                    tr("schedule.minutes: expected a whole number of minutes")
                ) from None
            return replace(self, schedule_minutes=minutes).validate()
        raise ConfigError(
            tr("unknown setting «{key}»; known: {known}").format(
                key=key,
                known=f"stage.<{'|'.join(STAGE_MEANINGS)}>, warehouse.<1C>, filter.<name>, "
                + ", ".join(
                    [
                        *simple,
                        "schedule.minutes",
                        "schedule.at_logon",
                        "crm.throttle",
                        "print.invoice_pdf",
                        "onec.invoices_since",
                        "crm.responsible",
                        "ship.post",
                        "deal.<pipeline>.<send|paid|partly_paid|ship>",
                        "deal.carrier",
                    ]
                ),
            )
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _issued_setting(profile: Profile, key: str, value: str) -> Profile:
    """F8's settings: the first day of the 1C invoices sent to the CRM, the responsible."""
    if key == "crm.responsible":
        if value and not value.isdigit():
            raise ConfigError(tr("crm.responsible: the CRM user id must be a number"))
        return replace(profile, crm_responsible=value)
    if value:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ConfigError(
                tr("onec.invoices_since: expected a date like 2026-03-01, not «{value}»").format(
                    value=value
                )
            ) from None
    return replace(profile, issued_since=value)


DEAL_MEANINGS = ("send", "paid", "partly_paid", "ship")
SALE_CARRIERS = ("invoice", "deal")


def _deal_setting(profile: Profile, rest: str, value: str) -> Profile:
    """F9: ``deal.<pipeline>.<meaning> STAGE`` (an empty stage drops it) and
    ``deal.carrier invoice|deal``."""
    if rest == "carrier":
        if value not in SALE_CARRIERS:
            raise ConfigError(
                tr("deal.carrier: expected invoice (the smart invoice is sent) or deal")
            )
        return replace(profile, sale_carrier=value)
    pipeline, _, meaning = rest.partition(".")
    if not pipeline.isdigit() or meaning not in DEAL_MEANINGS:
        raise ConfigError(
            tr(
                "deal.{rest}: expected deal.<pipeline id>.<{meanings}>, e.g. "
                "deal.1.send C1:UC_AGREED"
            ).format(rest=rest, meanings="|".join(DEAL_MEANINGS))
        )
    stages = {k: dict(v) for k, v in profile.deal_stages.items()}
    stages[pipeline] = _set_or_drop(stages.get(pipeline, {}), meaning, value)
    if not stages[pipeline]:
        del stages[pipeline]
    return replace(profile, deal_stages=stages)


def _set_or_drop(mapping: dict[str, str], key: str, value: str) -> dict[str, str]:
    """A copy of ``mapping`` with ``key`` set to ``value``, or without it if ``value`` is ""."""
    changed = dict(mapping)
    if value:
        changed[key] = value
    else:
        changed.pop(key, None)
    return changed


class ProfileStore:
    """The profiles file: read whole, written whole and atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Profile]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {p["name"]: Profile.from_json(p) for p in data.get("profiles", [])}
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                tr("the profiles file {path} is damaged: {error}").format(path=self.path, error=exc)
            ) from None

    def save(self, profiles: dict[str, Profile]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "version": FILE_VERSION,
            "profiles": [p.to_json() for p in sorted(profiles.values(), key=lambda p: p.name)],
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".profiles-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(body, fh, ensure_ascii=False, indent=2)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            replace_file(Path(tmp), self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, name: str | None) -> Profile:
        """The named profile, or the only one, or ``default``."""
        profiles = self.load()
        if name is not None:
            if name not in profiles:
                raise ConfigError(
                    tr("no profile «{name}»; see `desktop-sync profile list`").format(name=name)
                )
            return profiles[name]
        if len(profiles) == 1:
            return next(iter(profiles.values()))
        if "default" in profiles:
            return profiles["default"]
        if not profiles:
            raise ConfigError(tr("no profile yet; create one with `desktop-sync profile add`"))
        raise ConfigError(
            tr("several profiles ({names}); choose one with --profile NAME").format(
                names=", ".join(sorted(profiles))
            )
        )

    def add(self, profile: Profile) -> Profile:
        profile = profile.validate()
        profiles = self.load()
        if profile.name in profiles:
            raise ConfigError(tr("profile «{name}» already exists").format(name=profile.name))
        profiles[profile.name] = profile
        self.save(profiles)
        return profile

    def put(self, profile: Profile) -> Profile:
        profile = profile.validate()
        profiles = self.load()
        profiles[profile.name] = profile
        self.save(profiles)
        return profile

    def remove(self, name: str) -> Profile:
        profiles = self.load()
        if name not in profiles:
            raise ConfigError(tr("no profile «{name}»").format(name=name))
        removed = profiles.pop(name)
        self.save(profiles)
        return removed
