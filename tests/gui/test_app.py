"""The entry point, the connection wizard, and the schedule (same run lock as everyone)."""

from __future__ import annotations

from pathlib import Path

from desktop_sync.config import AppPaths, ProfileStore
from desktop_sync.config.secrets import SecretKind, SecretStore
from desktop_sync.gui.controllers.main_controller import MainController
from desktop_sync.gui.controllers.wizard import ConnectionWizard
from desktop_sync.runlock import RunLock
from tests.gui.sandbox_env import sandbox_env
from tests.gui.test_window_e2e import fast_open


def test_desktop_sync_without_a_command_opens_the_window(tmp_path: Path) -> None:
    """The CLI's contract: ``desktop-sync`` alone runs ``gui.app.run_gui`` (in a fresh process,
    as a person starts it; the smoke hook closes it after a moment)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DESKTOP_SYNC_GUI_QUIT_AFTER_MS="300")
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "-m", "desktop_sync", "--home", str(home)],
        env=env, capture_output=True, text=True, encoding="utf-8", timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (home / "logs").is_dir() and (home / "config").is_dir()


def test_wizard_saves_the_profile_and_secrets_and_tests_the_connection(
    qtbot, tmp_path: Path
) -> None:
    from desktop_sync.sandbox import bitrix24, onec

    paths = AppPaths.resolve(tmp_path / "home")
    paths.ensure()
    onec_sb = onec.start(port=0)
    crm_sb = bitrix24.start(port=0, rate_limit=False)
    controller = MainController(paths, None, open_service=fast_open)
    qtbot.addWidget(controller.window)
    try:
        wizard = ConnectionWizard(paths, controller.runner, None, controller.window)
        qtbot.addWidget(wizard)
        wizard.name.setText("office")
        wizard.onec_url.setText(onec_sb.url)
        wizard.onec_user.setText(onec_sb.user)
        wizard.onec_password.setText(onec_sb.password)
        wizard.crm_url.setText(crm_sb.url)
        wizard.crm_webhook.setText(crm_sb.webhook)
        wizard.schedule.setValue(10)
        assert wizard.onec_password.echoMode() == wizard.onec_password.EchoMode.Password
        with qtbot.waitSignal(wizard.saved, timeout=30_000):
            wizard.test_button.click()
        assert wizard.tested, wizard.test_result.text()
        assert "connection works" in wizard.test_result.text()
        assert wizard.onec_password.text() == "" and wizard.crm_webhook.text() == ""
        profile = ProfileStore(paths.profiles_file).get("office")
        assert profile.schedule_minutes == 10
        secrets = SecretStore(profile.uuid)
        assert secrets.get(SecretKind.ONEC_PASSWORD) == onec_sb.password
        assert secrets.get(SecretKind.CRM_SECRET) == crm_sb.webhook
        # "Prepare the CRM": the custom fields, created once, then already there
        assert wizard.prepare_button.isEnabled()
        wizard.prepare_button.click()
        qtbot.waitUntil(lambda: wizard.prepare_button.isEnabled(), timeout=30_000)
        first = wizard.prepare_result.text()
        assert "Created in the CRM" in first or "already has" in first, first
        wizard.prepare_button.click()
        qtbot.waitUntil(lambda: wizard.prepare_button.isEnabled(), timeout=30_000)
        assert "already has every field" in wizard.prepare_result.text()
        # the mapping page lists the CRM's real stages and both systems' warehouses
        send = wizard.stage_boxes["send"]
        names = [send.itemText(i) for i in range(send.count())]
        assert len(names) > 3 and "—" in names
        send.setCurrentIndex(send.findData("DT31_1:UC_TO1C"))
        assert wizard.store_boxes, "1C warehouses are listed"
        box = next(iter(wizard.store_boxes.values()))
        box.setCurrentIndex(1)
        with qtbot.waitSignal(wizard.saved, timeout=10_000):
            wizard.accept()
        saved = ProfileStore(paths.profiles_file).get("office")
        assert saved.stages == {"send": "DT31_1:UC_TO1C"}
        assert list(saved.warehouses.values()) == [box.currentData()]
        # nothing secret was written to the profiles file
        text = paths.profiles_file.read_text(encoding="utf-8")
        assert onec_sb.password not in text and crm_sb.webhook not in text
    finally:
        controller.shutdown()
        crm_sb.stop()
        onec_sb.stop()


def test_wizard_reports_a_bad_setting_in_words(qtbot, tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "home")
    controller = MainController(paths, None)
    qtbot.addWidget(controller.window)
    try:
        wizard = ConnectionWizard(paths, controller.runner)
        qtbot.addWidget(wizard)
        wizard.onec_url.setText("not a url")
        wizard.onec_user.setText("Бухгалтер")
        wizard.crm_url.setText("https://example.bitrix24.ru")
        wizard.test_button.click()
        qtbot.waitUntil(lambda: wizard.test_button.isEnabled(), timeout=10_000)
        assert not wizard.tested
        assert (
            "1C URL" in wizard.test_result.text() and "Traceback" not in wizard.test_result.text()
        )
    finally:
        controller.shutdown()


def _recording(run, plans):
    def recorded(*args, **kwargs):
        summary, plan = run(*args, **kwargs)
        plans.append(plan)
        return summary, plan

    return recorded


def test_schedule_runs_what_needs_no_person_and_respects_the_lock(qtbot, tmp_path: Path) -> None:
    with sandbox_env(tmp_path / "home", schedule_minutes=5) as env:
        c = MainController(env.paths, "demo", open_service=fast_open)
        qtbot.addWidget(c.window)
        try:
            qtbot.waitUntil(lambda: c.snapshot is not None and not c.runner.busy, timeout=30_000)
            assert c.scheduler.timer.isActive() and c.scheduler.timer.interval() == 5 * 60_000
            # another process (a scheduled CLI run) holds the profile's lock
            with RunLock(env.paths.lock_path(env.profile.uuid)):
                c.scheduler.run()
                qtbot.waitUntil(lambda: not c.runner.busy and bool(c.last_error), timeout=30_000)
            assert "Another synchronization" in c.last_error
            c.last_error = ""
            plans = []  # what the run hands back: its items alone, each write let go once done
            run = c.svc.run
            c.svc.run = _recording(run, plans)
            c.scheduler.run()
            qtbot.waitUntil(lambda: c.last_summary is not None, timeout=60_000)
            qtbot.waitUntil(lambda: not c.runner.busy, timeout=30_000)
            assert len(plans) == 1 and not plans[0].operations
            assert c.journal.runs[0].trigger == "schedule"
            assert c.last_summary.counts["applied"] > 0
            assert c.last_summary.counts["skipped"] == 0
        finally:
            c.shutdown()


def test_a_missing_keyring_is_a_clear_sentence_never_plaintext(qtbot, tmp_path: Path) -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    paths = AppPaths.resolve(tmp_path / "home")
    controller = MainController(paths, None)
    qtbot.addWidget(controller.window)
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        wizard = ConnectionWizard(paths, controller.runner)
        qtbot.addWidget(wizard)
        wizard.name.setText("office")
        wizard.onec_url.setText("http://127.0.0.1:9/odata")
        wizard.onec_user.setText("Бухгалтер")
        wizard.onec_password.setText("s3cret-Пароль")
        wizard.crm_url.setText("http://127.0.0.1:9")
        wizard.test_button.click()
        qtbot.waitUntil(lambda: wizard.test_button.isEnabled(), timeout=10_000)
        assert "no safe password store" in wizard.test_result.text()  # no environment variables
        assert "DESKTOP_SYNC" not in wizard.test_result.text()
        assert "s3cret" not in wizard.test_result.text()
        assert wizard.onec_password.text() == "s3cret-Пароль"  # kept, so nothing is retyped
        assert not paths.profiles_file.exists() or "s3cret" not in paths.profiles_file.read_text()
    finally:
        keyring.set_keyring(previous)
        controller.shutdown()


def test_an_exception_in_a_slot_is_one_calm_line(qtbot, tmp_path: Path, caplog) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop_sync.gui.app import _excepthook

    controller = MainController(AppPaths.resolve(tmp_path / "home"), None)
    qtbot.addWidget(controller.window)
    app = QApplication.instance()
    app._desktop_sync_controller = controller
    try:
        try:
            raise KeyError("boom")
        except KeyError as exc:
            _excepthook(type(exc), exc, exc.__traceback__)
        assert controller.last_error.startswith(
            "Something went wrong inside the program (KeyError)"
        )
        assert "Traceback" not in controller.window.message.text()
        assert any(r.exc_info for r in caplog.records if r.levelname == "ERROR")
    finally:
        app._desktop_sync_controller = None
        controller.shutdown()


def test_wizard_order_warehouse_is_for_ut_only(qtbot, tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "home")
    controller = MainController(paths, None)
    qtbot.addWidget(controller.window)
    try:
        wizard = ConnectionWizard(paths, controller.runner)
        qtbot.addWidget(wizard)
        assert not wizard.order_warehouse.isEnabled()  # BP 3.0 invoices name no warehouse
        wizard.configuration.setCurrentIndex(wizard.configuration.findData("ut11"))
        assert wizard.order_warehouse.isEnabled()
        wizard.order_warehouse.setText(" Склад «Южный» ")
        wizard.name.setText("trade")
        profile = wizard.profile()
        assert (profile.configuration, profile.order_warehouse) == ("ut11", "Склад «Южный»")
    finally:
        controller.shutdown()
