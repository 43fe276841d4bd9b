"""The connection wizard: the profile's fields, the secrets (straight into the keyring,
never shown again, never logged), and a test of both connections run in a worker.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from desktop_sync.config import AppPaths, Profile, ProfileStore
from desktop_sync.config.profiles import CONFIGURATIONS
from desktop_sync.config.secrets import SecretKind, SecretStore
from desktop_sync.gui.workers import Runner
from desktop_sync.i18n import tr


def _secret_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def save_and_test(
    paths: AppPaths, profile: Profile, secrets: dict[SecretKind, str], *, test: bool = True
) -> Callable[[Callable[[Any], None], threading.Event], str]:
    """A worker task: validate and save the profile, store the secrets, log in to both."""

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> str:
        from desktop_sync.engine.service import SyncService

        checked = profile.validate()
        store = SecretStore(checked.uuid)
        for kind, value in secrets.items():
            if value:
                store.set(kind, value)
        ProfileStore(paths.profiles_file).put(checked)
        if not test:
            return tr("Saved.")
        progress(tr("Connecting to 1C and Bitrix24…"))
        svc = SyncService.open(checked, paths)
        try:
            svc.connect()
        finally:
            svc.close()
        return tr("Both systems answered: the connection works.")

    return task


class ConnectionWizard(QWizard):
    saved = Signal(str)  # profile name

    def __init__(
        self, paths: AppPaths, runner: Runner, profile: Profile | None = None,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.paths = paths
        self.runner = runner
        self.original = profile
        self.setWindowTitle(tr("Connection settings") if profile else tr("New connection"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setMinimumSize(640, 480)
        self.setButtonText(QWizard.WizardButton.NextButton, tr("Next"))
        self.setButtonText(QWizard.WizardButton.BackButton, tr("Back"))
        self.setButtonText(QWizard.WizardButton.FinishButton, tr("Done"))
        self.setButtonText(QWizard.WizardButton.CancelButton, tr("Cancel"))
        p = profile

        # 1. 1C
        self.page_onec = QWizardPage()
        self.page_onec.setTitle(tr("1C:Enterprise"))
        self.page_onec.setSubTitle(
            tr("Where the 1C base publishes OData, and who the program logs in as.")
        )
        form = QFormLayout(self.page_onec)
        self.name = QLineEdit(p.name if p else "default")
        self.name.setEnabled(p is None)
        self.onec_url = QLineEdit(p.onec_url if p else "")
        self.onec_url.setPlaceholderText("https://server/base/odata/standard.odata")
        self.onec_user = QLineEdit(p.onec_user if p else "")
        self.onec_password = _secret_edit()
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
        self.timezone = QLineEdit(p.onec_timezone if p else "Europe/Moscow")
        form.addRow(tr("Profile name"), self.name)
        form.addRow(tr("1C OData address"), self.onec_url)
        form.addRow(tr("1C user"), self.onec_user)
        form.addRow(tr("1C password"), self.onec_password)
        form.addRow(tr("Configuration"), self.configuration)
        form.addRow(tr("Organization"), self.organization)
        form.addRow(tr("1C server time zone"), self.timezone)
        self.addPage(self.page_onec)

        # 2. CRM
        self.page_crm = QWizardPage()
        self.page_crm.setTitle(tr("Bitrix24"))
        self.page_crm.setSubTitle(
            tr("The portal's address and an inbound webhook with the crm and catalog rights.")
        )
        form2 = QFormLayout(self.page_crm)
        self.crm_url = QLineEdit(p.crm_url if p else "")
        self.crm_url.setPlaceholderText("https://company.bitrix24.ru")
        self.crm_webhook = _secret_edit()
        self.crm_webhook.setPlaceholderText(
            tr("stored in the keyring; leave empty to keep")
            if p
            else "https://company.bitrix24.ru/rest/1/…/"
        )
        self.schedule = QSpinBox()
        self.schedule.setRange(0, 24 * 60)
        self.schedule.setSuffix(tr(" min"))
        self.schedule.setSpecialValueText(tr("off"))
        self.schedule.setValue(p.schedule_minutes if p else 0)
        form2.addRow(tr("Portal address"), self.crm_url)
        form2.addRow(tr("Inbound webhook"), self.crm_webhook)
        form2.addRow(tr("Synchronise automatically every"), self.schedule)
        self.addPage(self.page_crm)

        # 3. test
        self.page_test = QWizardPage()
        self.page_test.setTitle(tr("Check the connection"))
        self.page_test.setSubTitle(
            tr(
                "The settings are saved, the secrets go to the keyring, and both systems "
                "are asked to answer."
            )
        )
        lay = QVBoxLayout(self.page_test)
        self.test_button = QPushButton(tr("Save and test the connection"))
        self.result = QLabel()
        self.result.setWordWrap(True)
        lay.addWidget(self.test_button)
        lay.addWidget(self.result, 1)
        self.addPage(self.page_test)
        self.test_button.clicked.connect(self.test)
        self.tested = False

    def profile(self) -> Profile:
        base = self.original or Profile(name="", onec_url="", onec_user="", crm_url="")
        return dataclasses.replace(
            base,
            name=self.name.text().strip(),
            onec_url=self.onec_url.text().strip(),
            onec_user=self.onec_user.text().strip(),
            configuration=str(self.configuration.currentData()),
            organization=self.organization.text().strip(),
            onec_timezone=self.timezone.text().strip() or "Europe/Moscow",
            crm_url=self.crm_url.text().strip(),
            schedule_minutes=self.schedule.value(),
        )

    def secrets(self) -> dict[SecretKind, str]:
        return {
            SecretKind.ONEC_PASSWORD: self.onec_password.text(),
            SecretKind.CRM_SECRET: self.crm_webhook.text().strip(),
        }

    def test(self) -> None:
        self.test_button.setEnabled(False)
        self.result.setText(tr("Checking…"))
        profile = self.profile()
        self.runner.start(
            save_and_test(self.paths, profile, self.secrets()),
            name="test connection",
            on_progress=lambda text: self.result.setText(str(text)),
            on_done=lambda msg: self._tested(True, str(msg), profile.name),
            on_failed=lambda msg, _exc: self._tested(False, msg, profile.name),
        )

    def _tested(self, ok: bool, message: str, name: str) -> None:
        self.test_button.setEnabled(True)
        colour = "#2e7d32" if ok else "#c62828"
        self.result.setText(f'<span style="color:{colour}">●</span> {message}')
        self.tested = ok
        if ok:  # the secrets are in the keyring now: nothing of them stays on screen
            self.onec_password.clear()
            self.crm_webhook.clear()
        if ProfileStore(self.paths.profiles_file).load().get(name) is not None:
            self.saved.emit(name)
