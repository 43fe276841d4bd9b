"""The connection wizard: the profile's fields, the secrets (straight into the keyring,
never shown again, never logged), and a test of both connections run in a worker.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
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

from desktop_sync.config import AppPaths, ConfigError, Profile, ProfileStore
from desktop_sync.config.profiles import CONFIGURATIONS
from desktop_sync.config.secrets import SecretKind, SecretStore
from desktop_sync.config.urls import check_url, check_webhook
from desktop_sync.gui.workers import Runner
from desktop_sync.i18n import N_, tr


def _secret_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


@dataclass(frozen=True)
class Checked:
    """What a successful test brings back: the systems' real stages and warehouses."""

    message: str
    stages: list[tuple[str, str]] = field(default_factory=list)  # (id, name)
    onec_warehouses: list[str] = field(default_factory=list)
    crm_stores: list[tuple[str, str]] = field(default_factory=list)  # (id, name)


def save_and_test(
    paths: AppPaths, profile: Profile, secrets: dict[SecretKind, str], *, test: bool = True
) -> Callable[[Callable[[Any], None], threading.Event], Checked]:
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
        if checked.start_at_logon != bool(before and before.start_at_logon):
            from desktop_sync.config import autostart

            autostart.apply(checked.start_at_logon, checked.name, paths.home)
        if not test:
            return Checked(tr("Saved."))
        progress(tr("Connecting to 1C and Bitrix24…"))
        try:
            svc = SyncService.open(checked, paths)
            try:
                svc.connect()
                stages = [(st.id, st.name) for st in svc.crm.invoices.stages()]
                warehouses = sorted(w.name for w in svc.onec.warehouses())
                stores = [
                    (str(w.crm_id), w.name)
                    for w in svc.crm.inventory.stores()
                    if w.crm_id is not None
                ]
            finally:
                svc.close()
        except BaseException:
            if before is None:  # a new connection that does not work is not kept half-made
                forget(paths, checked)
            raise
        return Checked(
            tr("Both systems answered: the connection works."), stages, warehouses, stores
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
        logging.getLogger(__name__).info("no secrets to remove for the abandoned profile")
    if profile.start_at_logon:
        from desktop_sync.config import autostart

        autostart.apply(False, profile.name, paths.home)


def forget_task(
    paths: AppPaths, profile: Profile
) -> Callable[[Callable[[Any], None], threading.Event], None]:
    def task(progress: Callable[[Any], None], cancel: threading.Event) -> None:
        forget(paths, profile)

    return task


_NAME = re.compile(r"^[\w][\w .-]{0,63}$")  # as config.profiles checks it

# The time zones of Russia by a city a person knows (1C servers keep local time).
TIME_ZONES = (
    ("Europe/Kaliningrad", N_("Kaliningrad"), 2),
    ("Europe/Moscow", N_("Moscow, St Petersburg"), 3),
    ("Europe/Samara", N_("Samara, Izhevsk"), 4),
    ("Asia/Yekaterinburg", N_("Yekaterinburg, Chelyabinsk, Perm"), 5),
    ("Asia/Omsk", N_("Omsk"), 6),
    ("Asia/Novosibirsk", N_("Novosibirsk, Barnaul, Tomsk"), 7),
    ("Asia/Krasnoyarsk", N_("Krasnoyarsk, Kemerovo"), 7),
    ("Asia/Irkutsk", N_("Irkutsk, Ulan-Ude"), 8),
    ("Asia/Yakutsk", N_("Yakutsk, Chita"), 9),
    ("Asia/Vladivostok", N_("Vladivostok, Khabarovsk"), 10),
    ("Asia/Magadan", N_("Magadan, Sakhalin"), 11),
    ("Asia/Kamchatka", N_("Petropavlovsk-Kamchatsky, Anadyr"), 12),
)


def time_zone_box(current: str) -> QComboBox:
    """A list of cities; a zone set elsewhere (the command line) is kept as it is."""
    box = QComboBox()
    for zone, city, hours in TIME_ZONES:
        box.addItem(f"{tr(city)} (UTC+{hours})", zone)
    if box.findData(current) < 0:
        box.addItem(current, current)
    box.setCurrentIndex(box.findData(current))
    return box


def proposed_name(organization: str, onec_url: str, crm_url: str) -> str:
    """A profile name a person recognises: the organization, else the portal, else the base."""
    org = re.sub(r"[^\w .-]+", " ", organization).strip()
    org = re.sub(r"\s+", " ", org)
    if org and not org.isdigit():  # an INN says nothing as a name
        return org[:64].strip()
    host = urlsplit(crm_url.strip()).hostname or ""
    if host and not host.replace(".", "").isdigit() and host != "localhost":
        return host.split(".")[0][:64]
    path = [p for p in urlsplit(onec_url.strip()).path.split("/") if p]
    if path and path[0].lower() != "odata":
        return re.sub(r"[^\w .-]+", " ", path[0]).strip()[:64]
    return ""


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


def prepare_crm(
    paths: AppPaths, name: str
) -> Callable[[Callable[[Any], None], threading.Event], str]:
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
) -> Callable[[Callable[[Any], None], threading.Event], str]:
    def task(progress: Callable[[Any], None], cancel: threading.Event) -> str:
        store = ProfileStore(paths.profiles_file)
        profile = store.get(name)
        store.put(dataclasses.replace(profile, stages=stages, warehouses=warehouses))
        return name

    return task


_MEANINGS = {
    "send": N_("Send to 1C (creates the invoice in 1C)"),
    "paid": N_("Paid in full"),
    "partly_paid": N_("Partly paid"),
    "shipped": N_("Shipped"),
    "cancelled": N_("Cancelled"),
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
        self.page_onec = CheckedPage(self)
        self.page_onec.setTitle(tr("1C:Enterprise"))
        self.page_onec.setSubTitle(
            tr("Where the 1C base publishes OData, and who the program logs in as.")
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
        self.page_crm = CheckedPage(self)
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
        self.at_logon = QCheckBox(tr("Open the window at logon, so the schedule runs"))
        self.at_logon.setChecked(bool(p and p.start_at_logon))
        form2.addRow("", self.at_logon)
        form2.addRow(self.page_crm.problems)
        self.addPage(self.page_crm)
        for edit in (self.organization, self.onec_url, self.crm_url):
            edit.textChanged.connect(self._propose_name)
        for edit in (self.name, self.onec_url, self.onec_user, self.onec_password,
                     self.crm_url, self.crm_webhook):  # fmt: skip
            edit.textChanged.connect(self._recheck)

        # 3. test
        self.page_test = CheckedPage(self)
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
        lay.addWidget(self.result)
        self.prepare_button = QPushButton(tr("Prepare the CRM (administrator rights)"))
        self.prepare_button.setToolTip(
            tr("Creates the invoice fields the synchronisation writes to: 1C number, paid, …")
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
        self.store_boxes: dict[str, QComboBox] = {}
        self.map_hint = QLabel(tr("Test the connection first: the lists come from the systems."))
        self.map_hint.setWordWrap(True)
        self.map_form.addRow(self.map_hint)
        self.addPage(self.page_map)
        self.checked: Checked | None = None
        self.saved_name = ""

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
        self.result.setText(tr("Checking…"))
        profile = self.profile()
        self.runner.start(
            save_and_test(self.paths, profile, self.secrets()),
            name="test connection",
            on_progress=lambda text: self.result.setText(str(text)),
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

    def showEvent(self, event: Any) -> None:
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
            save_mapping(self.paths, self.saved_name, stages, stores),
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
        self.result.setText(f'<span style="color:{colour}">●</span> {message}')
        self.tested = ok
        if ok:  # the secrets are in the keyring now: nothing of them stays on screen
            self.onec_password.clear()
            self.crm_webhook.clear()
        if ok:
            self.saved_name = name
            self.prepare_button.setEnabled(True)
            self.saved.emit(name)


def save_schedule(
    paths: AppPaths, name: str, minutes: int, at_logon: bool
) -> Callable[[Callable[[Any], None], threading.Event], Profile]:
    """The schedule alone: the interval and the start at logon (written only on a change)."""

    def task(progress: Callable[[Any], None], cancel: threading.Event) -> Profile:
        store = ProfileStore(paths.profiles_file)
        before = store.get(name)
        after = store.put(
            dataclasses.replace(before, schedule_minutes=minutes, start_at_logon=at_logon)
        )
        if after.start_at_logon != before.start_at_logon:
            from desktop_sync.config import autostart

            autostart.apply(after.start_at_logon, after.name, paths.home)
        return after

    return task


class ScheduleDialog(QDialog):
    """Connection → Automatic synchronisation…: how often, and whether at logon."""

    saved = Signal(str)  # profile name

    def __init__(
        self, paths: AppPaths, runner: Runner, profile: Profile, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.runner = runner
        self.profile = profile
        self.setWindowTitle(tr("Automatic synchronisation"))
        lay = QVBoxLayout(self)
        intro = QLabel(
            tr(
                "While the window is open (or in the tray), «{name}» is synchronised on its "
                "own: what needs no decision is applied, the rest waits in the Inbox and the "
                "tray says so."
            ).format(name=profile.name)
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.minutes = QSpinBox()
        self.minutes.setRange(0, 24 * 60)
        self.minutes.setSingleStep(15)
        self.minutes.setSuffix(tr(" min"))
        self.minutes.setSpecialValueText(tr("off"))
        self.minutes.setValue(profile.schedule_minutes)
        form.addRow(tr("Synchronise automatically every"), self.minutes)
        self.at_logon = QCheckBox(tr("Open the window at logon, so the schedule runs"))
        self.at_logon.setChecked(profile.start_at_logon)
        form.addRow("", self.at_logon)
        lay.addLayout(form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def accept(self) -> None:
        self.buttons.setEnabled(False)
        self.runner.start(
            save_schedule(
                self.paths, self.profile.name, self.minutes.value(), self.at_logon.isChecked()
            ),
            name="save schedule",
            on_done=self._saved,
            on_failed=lambda msg, _exc: self._failed(msg),
        )

    def _saved(self, profile: Profile) -> None:
        self.saved.emit(profile.name)
        super().accept()

    def _failed(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(message)
        self.error.show()
