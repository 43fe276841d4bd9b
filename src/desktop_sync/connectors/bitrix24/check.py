"""``check``: what the CRM side of ``desktop-sync check`` reports (issue 5).

Reachable, scopes granted vs needed, smart invoices enabled, our custom fields
present, inventory management on, the stages found, and whether the webhook's
user can see every company and invoice (only an administrator is sure to: a
user with "own" rights silently gets fewer rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop_sync.connectors.bitrix24.access import NEEDED_SCOPES
from desktop_sync.connectors.bitrix24.client import Bitrix24Client
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
from desktop_sync.connectors.bitrix24.models import Stage
from desktop_sync.i18n import tr


@dataclass
class CheckReport:
    reachable: bool = False
    user: str = ""
    is_admin: bool = False
    scopes_granted: list[str] = field(default_factory=list)
    scopes_missing: list[str] = field(default_factory=list)
    smart_invoices: bool = False
    stages: list[Stage] = field(default_factory=list)
    custom_fields_missing: list[str] = field(default_factory=list)
    inventory_management: bool | None = None
    sees_everything: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(client: Bitrix24Client) -> CheckReport:
    report = CheckReport()
    try:
        profile = client.access.current_user()
        report.scopes_granted = client.access.scopes()
    except Bitrix24Error as exc:
        report.problems.append(str(exc))
        return report
    report.reachable = True
    report.user = f"{profile.get('NAME', '')} {profile.get('LAST_NAME', '')}".strip()
    report.is_admin = profile.get("ADMIN") is True
    report.sees_everything = report.is_admin
    if not report.is_admin:
        report.problems.append(
            tr(
                "the webhook belongs to {user}, who is not an administrator: companies and "
                "invoices not assigned to them are invisible to the sync"
            ).format(user=report.user or tr("(no name)"))
        )
    report.scopes_missing = [s for s in NEEDED_SCOPES if s not in report.scopes_granted]
    if report.scopes_missing:
        report.problems.append(
            tr(
                "the webhook lacks the permissions {scopes}: add them to the inbound webhook"
            ).format(scopes=", ".join(report.scopes_missing))
        )
    if "crm" in report.scopes_granted:
        try:
            report.stages = client.invoices.stages()
            report.smart_invoices = True
        except Bitrix24Error as exc:
            report.problems.append(
                tr("smart invoices are not available: {reason}").format(reason=exc)
            )
    if "userfieldconfig" in report.scopes_granted and report.smart_invoices:
        try:
            report.custom_fields_missing = [
                f.name for f in client.userfields.missing_custom_fields()
            ]
        except Bitrix24Error as exc:
            report.problems.append(str(exc))
        if report.custom_fields_missing:
            report.problems.append(
                tr(
                    "custom fields are missing ({n}): run `desktop-sync setup` with an "
                    "administrator's webhook"
                ).format(n=len(report.custom_fields_missing))
            )
    if "catalog" in report.scopes_granted:
        try:
            report.inventory_management = client.inventory.enabled()
        except Bitrix24Error as exc:
            report.problems.append(str(exc))
        if report.inventory_management is False:
            report.problems.append(
                tr("inventory management is off in Bitrix24: stock cannot be synchronized")
            )
    return report
