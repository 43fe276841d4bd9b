"""Secret scrubbing, logging and the run lock."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_sync.logsetup import close_logging, setup_logging
from desktop_sync.redact import register_secret, scrub
from desktop_sync.runlock import LockHeld, RunLock
from tests.killing import HANG, kill_hard


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("GET https://p.bitrix24.ru/rest/1/abcDEF123/crm.item.list", "abcDEF123"),
        ("http://user:pa55@1c.local/base", "pa55"),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("?auth=0123456789abcdef&x=1", "0123456789abcdef"),
        ("headers={'authorization': 'Bearer tok.en-1'}", "tok.en-1"),
    ],
)
def test_scrub_patterns(text: str, hidden: str) -> None:
    out = scrub(text)
    assert hidden not in out
    assert "***" in out


def test_registered_secrets_are_hidden_anywhere() -> None:
    register_secret("Пароль-с-кириллицей'1")
    assert "кириллицей" not in scrub("login failed for Пароль-с-кириллицей'1 (wrong)")


def test_logs_are_scrubbed(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "app.log"
    setup_logging(log_file)
    try:
        register_secret("Sup3r-Secret")
        log = logging.getLogger("desktop_sync.test")
        log.warning(
            "connecting with %s to %s", "Sup3r-Secret", "https://p.bitrix24.ru/rest/7/hookcode1/"
        )
        try:
            raise RuntimeError("failed at https://p.bitrix24.ru/rest/7/hookcode2/x")
        except RuntimeError:
            log.exception("boom")
        logging.getLogger("httpx").warning("HTTP Request: GET https://p/rest/1/hookcode3/m")
    finally:
        close_logging()
    text = log_file.read_text(encoding="utf-8")
    for secret in ("Sup3r-Secret", "hookcode1", "hookcode2", "hookcode3"):
        assert secret not in text
    assert "RuntimeError" in text


def test_lock_refuses_a_second_holder(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "p.lock"
    with RunLock(path), pytest.raises(LockHeld, match="another synchronization"):
        RunLock(path).acquire()
    with RunLock(path):  # free again
        pass


def test_lock_of_a_killed_holder_is_free(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from desktop_sync.runlock import RunLock\n"
        f"lock = RunLock(Path({str(path)!r}))\n"
        "lock.acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, encoding="utf-8"
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match=str(proc.pid)):
            RunLock(path).acquire()
        kill_hard(proc)
        proc.wait(HANG)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
    deadline = time.monotonic() + HANG  # the lock goes with the process; a hang bound
    while True:
        try:
            with RunLock(path):
                break
        except LockHeld:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
