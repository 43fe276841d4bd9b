"""The connection wizard: the profile's fields, the secrets (straight into the keyring,
never shown again, never logged), and a test of both connections run in a worker.
"""

from __future__ import annotations

import dataclasses
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from desktop_sync.config import AppPaths, ConfigError, Profile
from desktop_sync.config.profiles import CONFIGURATIONS
from desktop_sync.config.secrets import SecretKind
from desktop_sync.config.urls import check_url, check_webhook
from desktop_sync.gui.controllers.wizard_fields import (
    at_logon_box,
    minutes_box,
    proposed_name,
    secret_edit,
    time_zone_box,
)
from desktop_sync.gui.controllers.wizard_tasks import (
    DEAL_MEANINGS,
    Checked,
    forget,
    forget_task,
    merged_deals,
    prepare_crm,
    save_and_test,
    save_mapping,
)
from desktop_sync.gui.workers import Runner
from desktop_sync.i18n import N_, tr

_NAME = re.compile(r"^[\w][\w .-]{0,63}$")  # as config.profiles checks it


def page_problems(wizard: ConnectionWizard, page: QWizardPage) -> list[str]:
    """Every problem of a page at once, in the words of its fields."""
    out: list[str] = []
    new = wizard.original is None

    def url(text: str, what: str) -> None:
        if not text.strip():
            out.append(tr("{what}: fill it in").format(what=what))
            return
        try:
            check_url(text, what)
        except ConfigError as exc:
            out.append(str(exc))

    if page is wizard.page_onec:
        name = wizard.name.text().strip()
        if not name:
            out.append(tr("Profile name: fill it in"))
        elif not _NAME.match(name):
            out.append(
                tr("Profile name: use letters, digits, spaces, '.', '-' or '_' (at most 64)")
            )
        elif new and name in wizard.existing:
            out.append(
                tr("Profile name: a connection «{name}» exists already; choose another").format(
                    name=name
                )
            )
        url(wizard.onec_url.text(), tr("1C OData address"))
        if not wizard.onec_user.text().strip():
            out.append(tr("1C user: fill it in"))
        if new and not wizard.onec_password.text():
            out.append(tr("1C user's password: fill it in"))
    elif page is wizard.page_crm:
        crm = wizard.crm_url.text()
        url(crm, tr("Portal address"))
        hook = wizard.crm_webhook.text().strip()
        if new and not hook:
            out.append(tr("Inbound webhook: fill it in"))
        elif hook and not out:
            try:
                check_webhook(hook, crm)
            except ConfigError as exc:
                out.append(str(exc))
    elif page is wizard.page_test and not wizard.tested:
        out.append(
            tr("Save and test the connection first: the next page's lists come from the systems.")
        )
    return out


class CheckedPage(QWizardPage):
    """A page that lists all of its problems at once when Next is pressed."""

    def __init__(self, wizard: ConnectionWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.problems = QLabel()
        self.problems.setObjectName("pageProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c62828;")
        self.problems.hide()

    def validatePage(self) -> bool:
        found = page_problems(self._wizard, self)
        self.problems.setText("\n".join(f"• {p}" for p in found))
        self.problems.setVisible(bool(found))
        return not found


_MEANINGS = {
    "send": N_("Send to 1C (creates the invoice in 1C)"),
    "paid": N_("Paid in full"),
    "partly_paid": N_("Partly paid"),
    "shipped": N_("Shipped"),
    "cancelled": N_("Cancelled"),
    "issued": N_("Invoices issued in 1C arrive at"),
    "ship": N_("Delivered (1C makes the sales document, not posted)"),
}


class ConnectionWizard(QWizard):
    saved = Signal(str)  # profile name

    def __init__(
        self, paths: AppPaths, runner: Runner, profile: Profile | None = None,
        parent: QWidget | None = None, existing: frozenset[str] = frozenset(),
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.paths = paths
        self.runner = runner
        self.original = profile
        self.existing = existing  # profile names taken already
        self._name_typed = profile is not None  # a name typed by hand is never replaced
        # one uuid for every test of a new connection (its secrets are filed under it)
        self._base = profile or Profile(name="", onec_url="", onec_user="", crm_url="")
        self._to_map = False
        self._proposed = ""
        self.setWindowTitle(tr("Connection settings") if profile else tr("New connection"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setMinimumSize(640, 480)
        self.setButtonText(QWizard.WizardButton.NextButton, tr("Next"))
        self.setButtonText(QWizard.WizardButton.BackButton, tr("Back"))
        self.setButtonText(QWizard.WizardButton.FinishButton, tr("Done"))
        self.setButtonText(QWizard.WizardButton.CancelButton, tr("Cancel"))
        p = profile

        # 1. 1C
        self.page_onec = self._checked_page(
            tr("1C:Enterprise"),
            tr("Where the 1C base publishes OData, and who the program logs in as."),
        )
        form = QFormLayout(self.page_onec)
        self.name = QLineEdit(p.name if p else "")
        self.name.setEnabled(p is None)
        self.name.setPlaceholderText(tr("proposed from the organization or the portal"))
        self.name.textEdited.connect(lambda _t: setattr(self, "_name_typed", True))
        self.onec_url = QLineEdit(p.onec_url if p else "")
        self.onec_url.setPlaceholderText("https://server/base/odata/standard.odata")
        self.onec_url_help = QLabel(  # lines of its own: a wrapped label leaves a gap
            "\n".join(
                (
                    tr("In 1C: Administration → Publishing on a web server."),
                    tr("The publication's address with /odata/standard.odata at the end,"),
                    tr("e.g. https://server/base/odata/standard.odata"),
                )
            )
        )
        self.onec_url_help.setObjectName("hint")
        self.onec_url_help.setStyleSheet("color: palette(dark);")
        self.onec_url_help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.onec_user = QLineEdit(p.onec_user if p else "")
        self.onec_password = secret_edit()
        self.onec_password.setPlaceholderText(
            tr("stored in the keyring; leave empty to keep") if p else ""
        )
        self.configuration = QComboBox()
        names = (tr("Accounting 3.0 (BP)"), tr("Trade Management 11 (UT)"))
        for c, label in zip(CONFIGURATIONS, names, strict=True):
            self.configuration.addItem(label, c)
        if p:
            self.configuration.setCurrentIndex(max(0, CONFIGURATIONS.index(p.configuration)))
        self.organization = QLineEdit(p.organization if p else "")
        self.organization.setPlaceholderText(tr("name or INN; empty: the only one"))
        self.timezone = time_zone_box(p.onec_timezone if p else "Europe/Moscow")
        self.order_warehouse = QLineEdit(p.order_warehouse if p else "")
        self.order_warehouse.setPlaceholderText(tr("1C warehouse name; empty: the first by code"))
        self.order_warehouse.setToolTip(
            tr("UT 11 only: the warehouse of customer orders made from CRM invoices")
        )

        def configuration_changed() -> None:
            self.order_warehouse.setEnabled(self.configuration.currentData() == "ut11")

        self.configuration.currentIndexChanged.connect(configuration_changed)
        configuration_changed()
        form.addRow(tr("1C OData address"), self.onec_url)
        form.addRow("", self.onec_url_help)
        form.addRow(tr("1C user"), self.onec_user)
        form.addRow(tr("1C user's password"), self.onec_password)
        form.addRow(tr("Configuration"), self.configuration)
        form.addRow(tr("Organization"), self.organization)
        form.addRow(tr("1C server time zone"), self.timezone)
        form.addRow(tr("Warehouse of orders"), self.order_warehouse)
        form.addRow(tr("Profile name"), self.name)
        form.addRow(self.page_onec.problems)
        self.addPage(self.page_onec)

        # 2. CRM
        self.page_crm = self._checked_page(
            tr("Bitrix24"),
            tr("The portal's address and an inbound webhook with the crm and catalog rights."),
        )
        form2 = QFormLayout(self.page_crm)
        self.crm_url = QLineEdit(p.crm_url if p else "")
        self.crm_url.setPlaceholderText("https://company.bitrix24.ru")
        self.crm_webhook = secret_edit()
        self.crm_webhook.setPlaceholderText(
            tr("stored in the keyring; leave empty to keep")
            if p
            else "https://company.bitrix24.ru/rest/1/…/"
        )
        self.schedule = minutes_box(p.schedule_minutes if p else 0)
        form2.addRow(tr("Portal address"), self.crm_url)
        form2.addRow(tr("Inbound webhook"), self.crm_webhook)
        form2.addRow(tr("Synchronize automatically every"), self.schedule)
        self.at_logon = at_logon_box(bool(p and p.start_at_logon))
        form2.addRow("", self.at_logon)
        form2.addRow(self.page_crm.problems)
        self.addPage(self.page_crm)
        for edit in (self.organization, self.onec_url, self.crm_url):
            edit.textChanged.connect(self._propose_name)
        for edit in (self.name, self.onec_url, self.onec_user, self.onec_password,
                     self.crm_url, self.crm_webhook):  # fmt: skip
            edit.textChanged.connect(self._recheck)

        # 3. test
        self.page_test = self._checked_page(
            tr("Check the connection"),
            tr(
                "The settings are saved, the secrets go to the keyring, and both systems "
                "are asked to answer."
            ),
        )
        lay = QVBoxLayout(self.page_test)
        self.test_button = QPushButton(tr("Save and test the connection"))
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        lay.addWidget(self.test_button)
        lay.addWidget(self.test_result)
        self.prepare_button = QPushButton(tr("Prepare the CRM (administrator rights)"))
        self.prepare_button.setToolTip(
            tr("Creates the invoice fields the synchronization writes to: 1C number, paid, …")
        )
        self.prepare_button.setEnabled(False)
        self.prepare_result = QLabel()
        self.prepare_result.setWordWrap(True)
        lay.addWidget(self.prepare_button)
        lay.addWidget(self.prepare_result, 1)
        lay.addWidget(self.page_test.problems)
        self.prepare_button.clicked.connect(self.prepare)
        self.addPage(self.page_test)
        self.test_button.clicked.connect(self.test)
        self.tested = False

        # 4. stages and warehouses, from the systems themselves
        self.page_map = QWizardPage()
        self.page_map.setTitle(tr("Stages and warehouses"))
        self.page_map.setSubTitle(
            tr("Which CRM stage means what, and which CRM store each 1C warehouse is.")
        )
        self.map_form = QFormLayout(self.page_map)
        self.stage_boxes: dict[str, QComboBox] = {}
        self.deal_boxes: dict[str, QComboBox] = {}
        self.store_boxes: dict[str, QComboBox] = {}
        self.map_hint = QLabel(tr("Test the connection first: the lists come from the systems."))
        self.map_hint.setWordWrap(True)
        self.map_form.addRow(self.map_hint)
        self.addPage(self.page_map)
        self.checked: Checked | None = None
        self.saved_name = ""

    def _checked_page(self, title: str, subtitle: str) -> CheckedPage:
        page = CheckedPage(self)
        page.setTitle(title)
        page.setSubTitle(subtitle)
        return page

    def profile(self) -> Profile:
        base = self._base
        return dataclasses.replace(
            base,
            name=self.name.text().strip(),
            onec_url=self.onec_url.text().strip(),
            onec_user=self.onec_user.text().strip(),
            configuration=str(self.configuration.currentData()),
            organization=self.organization.text().strip(),
            onec_timezone=str(self.timezone.currentData() or "Europe/Moscow"),
            order_warehouse=self.order_warehouse.text().strip(),
            crm_url=self.crm_url.text().strip(),
            schedule_minutes=self.schedule.value(),
            start_at_logon=self.at_logon.isChecked(),
        )

    def _recheck(self, *_: object) -> None:
        """Once a page has listed its problems, the list follows each correction."""
        page = self.currentPage()
        if isinstance(page, CheckedPage) and not page.problems.isHidden():
            found = page_problems(self, page)
            page.problems.setText("\n".join(f"• {p}" for p in found))
            page.problems.setVisible(bool(found))

    def _propose_name(self, *_: object) -> None:
        if self._name_typed or self.name.text() not in ("", self._proposed):
            return  # a name a person gave is never replaced
        self._proposed = proposed_name(
            self.organization.text(), self.onec_url.text(), self.crm_url.text()
        )
        self.name.setText(self._proposed)

    def go_to_warehouses(self) -> None:
        """Open at the warehouses: the connection is tested (the lists come from the
        systems), then the mapping page is shown. Call before ``open()``."""
        self.setStartId(self.pageIds()[2])
        self._to_map = True

    def reject(self) -> None:
        """Cancel: a new connection whose check failed (or never ran) is not kept."""
        if self.original is None and self.saved_name and not self.tested:
            self.runner.start(  # the window, which showed it after the first check, forgets too
                forget_task(self.paths, self.profile()),
                name="forget profile",
                on_done=lambda _r: self.saved.emit(""),
            )
        super().reject()

    def secrets(self) -> dict[SecretKind, str]:
        return {
            SecretKind.ONEC_PASSWORD: self.onec_password.text(),
            SecretKind.CRM_SECRET: self.crm_webhook.text().strip(),
        }

    def test(self) -> None:
        self.test_button.setEnabled(False)
        self.test_result.setText(tr("Checking…"))
        profile = self.profile()
        self.runner.start(
            save_and_test(self.paths, profile, self.secrets()),
            name="test connection",
            on_progress=lambda text: self.test_result.setText(str(text)),
            on_done=lambda checked: self._checked(checked, profile),
            on_failed=lambda msg, _exc: self._tested(False, msg, profile.name),
        )

    def prepare(self) -> None:
        if not self.saved_name:
            return
        self.prepare_button.setEnabled(False)
        self.prepare_result.setText(tr("Checking…"))

        def done(message: str, ok: bool = True) -> None:
            self.prepare_button.setEnabled(True)
            colour = "#2e7d32" if ok else "#c62828"
            self.prepare_result.setText(f'<span style="color:{colour}">●</span> {message}')

        self.runner.start(
            prepare_crm(self.paths, self.saved_name),
            name="prepare the CRM",
            on_done=lambda msg: done(str(msg)),
            on_failed=lambda msg, _exc: done(msg, ok=False),
        )

    def _checked(self, checked: Checked, profile: Profile) -> None:
        self._fill_mapping(checked, profile)
        self._tested(True, checked.message, profile.name)
        if self._to_map and self.currentPage() is self.page_test:
            self._to_map = False
            self.next()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._to_map and not self.tested and self.test_button.isEnabled():
            self.test()

    def _fill_mapping(self, checked: Checked, profile: Profile) -> None:
        self.checked = checked
        self.map_hint.setText(tr("Leave a line empty when it does not apply."))
        for meaning, label in _MEANINGS.items():
            box = self.stage_boxes.get(meaning)
            if box is None:
                box = QComboBox()
                self.stage_boxes[meaning] = box
                self.map_form.addRow(tr(label), box)
            box.clear()
            box.addItem("—", "")
            for sid, name in checked.stages:
                box.addItem(name, sid)
            box.setCurrentIndex(max(0, box.findData(profile.stages.get(meaning, ""))))
        self._fill_deals(checked, profile)
        for wh in checked.onec_warehouses:
            box = self.store_boxes.get(wh)
            if box is None:
                box = QComboBox()
                self.store_boxes[wh] = box
                self.map_form.addRow(tr("1C warehouse «{name}»").format(name=wh), box)
            box.clear()
            box.addItem("—", "")
            for sid, name in checked.crm_stores:
                box.addItem(name, sid)
            box.setCurrentIndex(max(0, box.findData(profile.warehouses.get(wh, ""))))

    def _fill_deals(self, checked: Checked, profile: Profile) -> None:
        """F9: a deal pipeline's "send" and "paid" stages (shown: the profile's first)."""
        self._deals_before = {k: dict(v) for k, v in profile.deal_stages.items()}
        for meaning, label in DEAL_MEANINGS.items() if checked.deal_stages else ():
            box = self.deal_boxes.get(meaning)
            if box is None:
                box = self.deal_boxes[meaning] = QComboBox()
                self.map_form.addRow(tr(label), box)
            box.clear()
            box.addItem("—", "")
            for sid, name in checked.deal_stages:
                box.addItem(name, sid)
            shown = next((v[meaning] for v in self._deals_before.values() if meaning in v), "")
            box.setCurrentIndex(max(0, box.findData(shown)))

    def deal_mapping(self) -> dict[str, dict[str, str]]:
        """The profile's deal stages with the boxes' choices (other pipelines kept)."""
        chosen = {m: str(b.currentData() or "") for m, b in self.deal_boxes.items()}
        return merged_deals(getattr(self, "_deals_before", {}), chosen)

    def mapping(self) -> tuple[dict[str, str], dict[str, str]]:
        stages = {m: str(b.currentData()) for m, b in self.stage_boxes.items() if b.currentData()}
        stores = {w: str(b.currentData()) for w, b in self.store_boxes.items() if b.currentData()}
        return stages, stores

    def accept(self) -> None:
        """Done: the mapping is saved (in a worker) before the wizard closes."""
        if not self.saved_name or self.checked is None:
            super().accept()
            return
        stages, stores = self.mapping()
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.runner.start(
            save_mapping(self.paths, self.saved_name, stages, stores, self.deal_mapping()),
            name="save mapping",
            on_done=self._mapping_saved,
            on_failed=lambda msg, _exc: self._mapping_failed(msg),
        )

    def _mapping_saved(self, name: str) -> None:
        self.saved.emit(name)
        super().accept()

    def _mapping_failed(self, message: str) -> None:
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        self.map_hint.setText(message)

    def _tested(self, ok: bool, message: str, name: str) -> None:
        self.test_button.setEnabled(True)
        colour = "#2e7d32" if ok else "#c62828"
        self.test_result.setText(f'<span style="color:{colour}">●</span> {message}')
        self.tested = ok
        if ok:  # the secrets are in the keyring now: nothing of them stays on screen
            self.onec_password.clear()
            self.crm_webhook.clear()
        if ok:
            self.saved_name = name
            self.prepare_button.setEnabled(True)
            self.saved.emit(name)


__all__ = ["Checked", "ConnectionWizard", "forget", "proposed_name", "save_and_test"]
