"""Output, input and start-up errors as Windows gives them (issue 24, items 1, 2, 4, 8).

Reproduced on Linux: ``PYTHONIOENCODING=cp1251`` is what a pipe or a redirected
file gets on a Russian Windows; ``sys.stdout = sys.stderr = sys.stdin = None`` is the
windowless executable; ``PYTHONTZPATH=""`` a Python without a time-zone database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.killing import HANG
from tests.platform.helpers import cli_env, run_cli

ADD = (
    "profile", "add", "shop",
    "--onec-url", "http://127.0.0.1:9/accounting/odata/standard.odata",
    "--onec-user", "Бухгалтер",
    "--crm-url", "https://shop.bitrix24.ru",
    "--organization", "ООО «Ромашка» ₽ → ✓",
)  # fmt: skip


def test_json_is_utf8_when_the_pipe_is_cp1251(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, *ADD).returncode == 0
    result = run_cli(home, "profile", "show", "shop", "--json", ansi="cp1251", text=False)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.decode("utf-8"))
    assert data["organization"] == "ООО «Ромашка» ₽ → ✓"


def test_text_output_is_utf8_when_piped_not_a_crash(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(home, *ADD).returncode == 0
    result = run_cli(home, "profile", "show", "shop", ansi="cp1251", text=False)
    assert result.returncode == 0, result.stderr
    assert "₽ → ✓" in result.stdout.decode("utf-8")


def test_headless_demo_with_a_cp1251_pipe(tmp_path: Path) -> None:
    """The plan's arrows and the ruble sign: ``demo --headless`` under a Russian code page."""
    result = run_cli(
        tmp_path / "home", "demo", "--headless", ansi="cp1251", text=False, timeout=HANG
    )
    out = result.stdout.decode("utf-8")
    assert result.returncode in (0, 3), out[-2000:] + result.stderr.decode("utf-8", "replace")
    assert "→" in out and "Traceback" not in out


def test_profile_add_works_without_a_system_time_zone_database(tmp_path: Path) -> None:
    """Windows has no IANA database: the ``tzdata`` package is what makes Europe/Moscow known."""
    result = run_cli(tmp_path / "home", *ADD, extra_env={"PYTHONTZPATH": ""})
    assert result.returncode == 0, result.stderr


def test_tzdata_and_truststore_are_dependencies() -> None:
    from importlib.metadata import requires

    names = {
        r.split(";")[0].split(">")[0].split("=")[0].strip().lower()
        for r in requires("desktop-sync") or []
    }
    assert {"tzdata", "truststore"} <= names


def test_a_missing_zone_database_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import zoneinfo

    from desktop_sync.config import ConfigError, Profile

    def missing(key: str) -> zoneinfo.ZoneInfo:
        raise zoneinfo.ZoneInfoNotFoundError(key)

    monkeypatch.setattr(zoneinfo, "ZoneInfo", missing)
    monkeypatch.setattr(zoneinfo, "available_timezones", set)
    profile = Profile(
        "shop", "https://1c.example.ru/b/odata/standard.odata", "u", "https://x.bitrix24.ru"
    )
    with pytest.raises(ConfigError, match="no time-zone database"):
        profile.validate()


WINDOWLESS = textwrap.dedent(
    """
    import json, sys
    sys.stdout = sys.stderr = sys.stdin = None   # what pythonw / a console=False exe has
    from desktop_sync import stdio
    boxes = []
    stdio.show_message = lambda title, text: boxes.append(text)
    from desktop_sync.cli.main import run
    code = run(sys.argv[2:])
    with open(sys.argv[1], "w", encoding="utf-8") as fh:
        json.dump({"code": code, "boxes": boxes}, fh)
    """
)


def _windowless(home: Path, tmp_path: Path, *args: str) -> dict[str, object]:
    out = tmp_path / "result.json"
    env = cli_env(home)
    proc = subprocess.run(
        [sys.executable, "-c", WINDOWLESS, str(out), *args],
        env=env, capture_output=True, timeout=HANG, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.is_file(), proc.stderr.decode("utf-8", "replace")[-3000:]
    result: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return result


def test_windowless_executable_survives_cli_use(tmp_path: Path) -> None:
    home = tmp_path / "home"
    added = _windowless(home, tmp_path, *ADD)
    assert added["code"] == 0, added  # sys.stdin.isatty() on None used to end it here
    shown = _windowless(home, tmp_path, "profile", "show", "shop", "--json")
    assert shown["code"] == 0, shown  # sys.stdout.write on None
    synced = _windowless(home, tmp_path, "sync", "--dry-run")
    # No secret and nothing listening: a clear failure, never an internal error (1); a
    # scheduled run must never wait on a message box: the log has it.
    assert synced["code"] in (2, 5), synced
    assert synced["boxes"] == []
    log = (home / "logs" / "desktop-sync.log").read_text(encoding="utf-8")
    assert "profile «shop»" in log or "shop" in log.split("(exit ")[0]
    # What a person started (the Start-menu demo, the window) shows its error in a box.
    bad = _windowless(home, tmp_path, "demo", "--configuration", "nonesuch")
    assert bad["code"] == 2, bad
    boxes = bad["boxes"]
    assert isinstance(boxes, list) and len(boxes) == 1 and "desktop-sync:" in boxes[0]


def test_secret_prompt_only_on_a_real_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows NUL says isatty() == True: the prompt must not wait on it."""
    from desktop_sync import stdio

    class NulLike:
        def isatty(self) -> bool:
            return True

        def fileno(self) -> int:
            return 0

    monkeypatch.setattr(sys, "stdin", NulLike())
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(stdio, "_windows_console", lambda fd: False)  # GetConsoleMode fails
    assert stdio.stdin_is_console() is False
    monkeypatch.setattr(sys, "stdin", None)
    assert stdio.stdin_is_console() is False


def test_profile_add_with_stdin_from_nul_does_not_wait(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "home", *ADD, timeout=HANG, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr


def test_window_start_up_error_is_shown_and_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``desktop-sync-gui`` (pythonw): an error before the window goes to a box and the log."""
    pytest.importorskip("PySide6")
    from desktop_sync.config import ConfigError
    from desktop_sync.gui import app
    from desktop_sync.logsetup import close_logging, setup_logging

    log_file = tmp_path / "logs" / "desktop-sync-gui.log"
    setup_logging(log_file)
    shown: list[str] = []

    def broken(paths: object, profile: object) -> int:
        raise ConfigError("the profiles file is damaged")

    monkeypatch.setattr(app, "run_gui", broken)
    monkeypatch.setattr(app, "show_startup_error", shown.append)
    monkeypatch.setenv("DESKTOP_SYNC_HOME", str(tmp_path))
    try:
        with pytest.raises(SystemExit) as exit_info:
            app.main()
    finally:
        close_logging()
    assert exit_info.value.code == 1
    assert shown and "the profiles file is damaged" in shown[0] and str(log_file) in shown[0]
    assert "the profiles file is damaged" in log_file.read_text(encoding="utf-8")


def test_internal_error_names_the_log_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop_sync.cli import main as cli_main
    from desktop_sync.logsetup import close_logging

    home = tmp_path / "elsewhere"

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli_main, "_warn_network_home", boom)
    close_logging()
    try:
        code = cli_main.run(["--home", str(home), "profile", "list"])
    finally:
        close_logging()
    assert code == 1
    assert str(home.resolve() / "logs" / "desktop-sync.log") in capsys.readouterr().err


def test_prepare_stdio_keeps_a_console_and_fixes_a_pipe() -> None:
    code = textwrap.dedent(
        """
        import sys
        from desktop_sync.stdio import prepare_stdio
        prepare_stdio()
        print(sys.stdout.encoding, sys.stderr.encoding)
        print("₽ → ✓")
        """
    )
    env = {**os.environ, "PYTHONIOENCODING": "cp1251"}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, timeout=HANG, check=False
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode("utf-8").splitlines()
    assert lines[0] == "utf-8 utf-8" and lines[1] == "₽ → ✓"


def test_nul_is_not_a_console() -> None:
    """On Windows ``NUL`` says ``isatty() == True``; GetConsoleMode tells the truth."""
    code = "from desktop_sync.stdio import stdin_is_console; print(stdin_is_console())"
    proc = subprocess.run(
        [sys.executable, "-c", code], stdin=subprocess.DEVNULL, capture_output=True,
        text=True, encoding="utf-8", timeout=HANG, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
