"""The connection wizard in a person's words (issue 19, items 6 and 11): a real proposed
name instead of «default», time zones by city, help on where 1C's OData address is,
every problem of a page at once, no OData names, class names or environment variables in
its messages, and a cancelled new connection leaves no half profile behind."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from PySide6.QtCore import QObject

from desktop_sync.config import AppPaths, ProfileStore
from desktop_sync.gui.controllers.wizard import ConnectionWizard, proposed_name
from desktop_sync.gui.workers import Runner
from desktop_sync.i18n import language, set_language

INTERNALS = re.compile(r"\$metadata|DESKTOP_SYNC_|[A-Z][a-z]+Error\b|Exception|GUID|Traceback")


@pytest.fixture
def russian():
    before = language()
    set_language("ru")
    yield
    set_language(before)


@pytest.fixture
def wizard(qtbot, tmp_path: Path):
    paths = AppPaths.resolve(tmp_path / "home")
    paths.ensure()
    owner = QObject()
    runner = Runner(owner)
    w = ConnectionWizard(paths, runner, None)
    qtbot.addWidget(w)
    w.show()
    yield w
    runner.wait(30_000)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_first_page_words_name_and_time_zone(wizard) -> None:
    w = wizard
    assert w.name.text() == "", "no made-up «default» name"
    w.organization.setText("ООО «Ромашка»")
    assert w.name.text() == "ООО Ромашка"
    w.name.setText("")
    w.name.textEdited.emit("Магазин")  # typed by hand: never replaced
    w.name.setText("Магазин")
    w.organization.setText("ООО «Лютик»")
    assert w.name.text() == "Магазин"
    assert proposed_name("", "", "https://romashka.bitrix24.ru") == "romashka"
    assert proposed_name("7701234567", "https://srv/buh/odata/standard.odata", "") == "buh"
    # a list of cities, Moscow by default, the zone kept as the profile's value
    assert w.timezone.currentData() == "Europe/Moscow"
    cities = [w.timezone.itemText(i) for i in range(w.timezone.count())]
    assert any("Yekaterinburg" in c and "UTC+5" in c for c in cities)
    assert not any("/" in c for c in cities)
    help_text = w.onec_url_help.text()
    assert "Administration" in help_text and "/odata/standard.odata" in help_text


def test_each_page_lists_every_problem_at_once(wizard) -> None:
    w = wizard
    first = w.currentId()
    w.next()
    assert w.currentId() == first, "an empty first page does not pass"
    problems = w.page_onec.problems.text().splitlines()
    assert len(problems) >= 4, problems  # name, address, user, password together
    assert any("1C OData address" in p for p in problems)
    assert any("1C user" in p for p in problems)
    w.name.setText("Ромашка")
    w.onec_url.setText("http://1c.example.ru/base/odata/standard.odata")
    w.onec_user.setText("Бухгалтер")
    # the list follows each correction as it is typed
    assert not any("1C user:" in p for p in w.page_onec.problems.text().splitlines())
    w.onec_password.setText("secret")
    w.next()
    assert w.currentId() == first
    assert "https://" in w.page_onec.problems.text()  # plain http to another host refused
    w.onec_url.setText("https://1c.example.ru/base/odata/standard.odata")
    w.next()
    assert w.currentPage() is w.page_crm
    w.next()
    problems = w.page_crm.problems.text().splitlines()
    assert len(problems) == 2 and w.currentPage() is w.page_crm, problems
    w.crm_url.setText("https://romashka.bitrix24.ru")
    w.crm_webhook.setText("https://romashka.bitrix24.ru/rest/1/abcdef123456/")
    w.next()
    assert w.currentPage() is w.page_test
    w.next()  # the mapping needs the systems' lists: test first
    assert w.currentPage() is w.page_test and w.page_test.problems.isVisible()


def test_failed_check_in_russian_words_and_cancel_leaves_no_profile(qtbot, wizard, russian) -> None:
    w = wizard
    port = _closed_port()
    w.name.setText("Ромашка")
    w.onec_url.setText(f"http://127.0.0.1:{port}/base/odata/standard.odata")
    w.onec_user.setText("Бухгалтер")
    w.onec_password.setText("secret")
    w.crm_url.setText(f"http://127.0.0.1:{port}")
    w.crm_webhook.setText(f"http://127.0.0.1:{port}/rest/1/abcdef123456/")
    w.next()
    w.next()
    assert w.currentPage() is w.page_test
    w.test_button.click()
    qtbot.waitUntil(
        lambda: w.test_button.isEnabled() and "●" in w.test_result.text(), timeout=30_000
    )
    text = w.test_result.text()
    assert "1С" in text and not INTERNALS.search(text), text
    assert not w.tested
    profiles = w.paths.profiles_file
    assert "Ромашка" not in ProfileStore(profiles).load(), "a connection that never worked"
    w.reject()
    w.runner.wait(10_000)
    assert "Ромашка" not in ProfileStore(profiles).load()


def test_no_keyring_said_without_environment_variables(qtbot, wizard, russian) -> None:
    import keyring
    from keyring.backends import fail

    w = wizard
    w.name.setText("Ромашка")
    w.onec_url.setText("http://127.0.0.1:1/base/odata/standard.odata")
    w.onec_user.setText("Бухгалтер")
    w.onec_password.setText("secret")
    w.crm_url.setText("http://127.0.0.1:1")
    w.crm_webhook.setText("http://127.0.0.1:1/rest/1/abcdef123456/")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        w.test()
        qtbot.waitUntil(lambda: w.test_button.isEnabled(), timeout=30_000)
    finally:
        keyring.set_keyring(previous)
    text = w.test_result.text()
    assert "хранилищ" in text and not INTERNALS.search(text), text


def test_automatic_synchronisation_opens_a_schedule_dialog_of_its_own(
    qtbot, tmp_path: Path
) -> None:
    from desktop_sync.config import Profile
    from desktop_sync.gui.controllers.main_controller import MainController

    paths = AppPaths.resolve(tmp_path / "home")
    paths.ensure()
    ProfileStore(paths.profiles_file).put(
        Profile("Ромашка", "https://1c.example.ru/b/odata/standard.odata", "u",
                "https://romashka.bitrix24.ru")
    )  # fmt: skip

    def open_service(profile, _paths):
        raise OSError("offline")

    c = MainController(paths, "Ромашка", open_service=open_service)
    qtbot.addWidget(c.window)
    try:
        qtbot.waitUntil(lambda: not c.runner.busy, timeout=10_000)
        c.window.act_schedule.trigger()
        assert c.wizard is None and c.schedule_dialog is not None
        d = c.schedule_dialog
        d.minutes.setValue(30)
        d.accept()
        qtbot.waitUntil(lambda: c.schedule_dialog is None, timeout=10_000)
        assert ProfileStore(paths.profiles_file).get("Ромашка").schedule_minutes == 30
        assert c.scheduler.timer.isActive() and c.scheduler.timer.interval() == 30 * 60_000
    finally:
        c.shutdown()


def test_a_new_connection_whose_last_check_failed_is_forgotten_on_cancel(
    qtbot, tmp_path: Path
) -> None:
    from tests.gui.sandbox_env import sandbox_env

    with sandbox_env(tmp_path / "sb") as env:
        owner = QObject()
        runner = Runner(owner)
        w = ConnectionWizard(env.paths, runner, None)
        qtbot.addWidget(w)
        w.name.setText("Ромашка")
        w.onec_url.setText(env.onec.url)
        w.onec_user.setText(env.onec.user)
        w.onec_password.setText(env.onec.password)
        w.crm_url.setText(env.crm.url)
        w.crm_webhook.setText(env.crm.webhook)
        with qtbot.waitSignal(w.saved, timeout=30_000):
            w.test()
        assert w.tested and "Ромашка" in ProfileStore(env.paths.profiles_file).load()
        w.onec_url.setText(f"http://127.0.0.1:{_closed_port()}/base/odata/standard.odata")
        w.test()
        qtbot.waitUntil(lambda: w.test_button.isEnabled(), timeout=30_000)
        assert not w.tested
        with qtbot.waitSignal(w.saved, timeout=10_000) as blocker:
            w.reject()
        assert blocker.args == [""]
        assert "Ромашка" not in ProfileStore(env.paths.profiles_file).load()
        runner.wait(10_000)
