"""The environment in words (issue 20, issue 16 item 7): what is not a bug never ends in 1.

Each case runs the real console script in a subprocess, as a person or a scheduled
task runs it, against our sandboxes over loopback where a system is needed, and
asserts an exit code of the contract (README: 0, 2, 3, 4, 5, 6; 1 only for bugs)
and one line of reason on stderr, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync.sandbox import bitrix24, onec
from tests.killing import HANG, kill_hard

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"
CONTRACT = {0, 2, 3, 4, 5, 6}
NO_KEYRING = "keyring.backends.fail.Keyring"


def run(
    home: Path,
    *args: str,
    env: dict[str, str] | None = None,
    lang: str = "en",
    preexec: object = None,
    timeout: float = HANG,
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    full_env["PYTHON_KEYRING_BACKEND"] = NO_KEYRING
    full_env["DESKTOP_SYNC_HOME"] = str(home)
    full_env["DESKTOP_SYNC_LANG"] = lang
    full_env.update(env or {})
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
        preexec_fn=preexec,  # type: ignore[arg-type]
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line of reason on stderr (and no traceback anywhere)."""
    assert result.returncode in CONTRACT, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stdout + result.stderr
    assert "Logging error" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith("desktop-sync: ")
    return lines[0]


def add_profile(home: Path, onec_url: str, crm_url: str, env: dict[str, str] | None = None) -> None:
    added = run(
        home,
        "profile",
        "add",
        "shop",
        "--onec-url",
        onec_url,
        "--onec-user",
        "Бухгалтер",
        "--crm-url",
        crm_url,
        env=env,
    )
    assert added.returncode == 0, added.stderr


@contextlib.contextmanager
def sandboxes(onec_faults: str = "", crm_faults: str = "") -> Iterator[dict[str, str]]:
    one = onec.start(port=0, faults=onec_faults)
    crm = bitrix24.start(port=0, rate_limit=False, faults=crm_faults)
    try:
        yield {
            "onec_url": one.url,
            "crm_url": crm.url,
            "DESKTOP_SYNC_ONEC_PASSWORD": one.password,
            "DESKTOP_SYNC_CRM_SECRET": crm.webhook,
        }
    finally:
        crm.stop()
        one.stop()


def secrets(boxes: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in boxes.items() if k.startswith("DESKTOP_SYNC_")}


# -- a damaged journal ------------------------------------------------------------------


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:3000])


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(20_000))


def _zero_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:100] = bytes(100)
    path.write_bytes(bytes(data))


def _directory(path: Path) -> None:
    path.unlink()
    (path / "inside").mkdir(parents=True)


@pytest.mark.parametrize(
    "damage",
    [_truncate, _random_bytes, _zero_header, _directory],
    ids=["truncated", "random-bytes", "zeroed-header", "a-directory"],
)
def test_a_damaged_journal_is_named_kept_aside_and_the_next_run_starts_fresh(
    tmp_path: Path, damage: object
) -> None:
    home = tmp_path / "home"
    add_profile(home, "https://1c.example.ru/b/odata/standard.odata", "https://s.bitrix24.ru")
    assert run(home, "journal").returncode == 0  # creates the journal
    journal = home / "data" / "journal.sqlite3"
    assert journal.stat().st_size > 0
    with contextlib.closing(sqlite3.connect(journal)) as db:  # pages to cut into
        db.execute("CREATE TABLE filler (x TEXT)")
        db.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damage(journal)  # type: ignore[operator]

    first = run(home, "journal")
    line = one_line(first)
    assert first.returncode == 4
    assert "journal.sqlite3" in line and "damaged" in line
    kept = [p for p in (home / "data").iterdir() if ".damaged-" in p.name]
    assert kept, list((home / "data").iterdir())
    main = [p for p in kept if not p.name.endswith(("-wal", "-shm"))]
    assert len(main) == 1 and main[0].name.split(".damaged-")[1][:8].isdigit()
    assert main[0].name in line

    again = run(home, "journal")
    assert again.returncode == 0, again.stderr
    assert "empty" in again.stdout


def test_a_damaged_journal_is_said_in_russian(tmp_path: Path) -> None:
    home = tmp_path / "home"
    add_profile(home, "https://1c.example.ru/b/odata/standard.odata", "https://s.bitrix24.ru")
    data = home / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "journal.sqlite3").write_bytes(b"this is not sqlite" * 100)
    line = one_line(run(home, "journal", lang="ru"))
    assert "журнал" in line and "повреждён" in line and "не является базой данных" in line


# -- full disk, read-only home ------------------------------------------------------------


def _file_size_limit(limit: int) -> object:
    def limit_writes() -> None:
        import resource  # POSIX only: the module is collected on Windows too

        # Every write past `limit` bytes fails with EFBIG, as writes to a full disk
        # fail with ENOSPC; the signal that would kill the process is ignored.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_writes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE on Linux")
def test_a_full_disk_gives_one_line_and_exit_4(tmp_path: Path) -> None:
    home = tmp_path / "home"
    add_profile(home, "https://1c.example.ru/b/odata/standard.odata", "https://s.bitrix24.ru")
    result = run(home, "journal", preexec=_file_size_limit(0))
    line = one_line(result)
    assert result.returncode == 4, line
    assert "disk" in line


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[bool]:
    """Make ``folder`` unwritable, for root too (chattr +i); yields False if impossible."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield True
        finally:
            folder.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    done = chattr and subprocess.run([chattr, "+i", str(folder)], check=False).returncode == 0
    try:
        yield bool(done)
    finally:
        if done and chattr:
            subprocess.run([chattr, "-i", str(folder)], check=False)


@pytest.mark.skipif(os.name != "posix", reason="a folder made read-only by POSIX permissions")
@pytest.mark.parametrize("what", ["fresh", "existing"])
def test_a_read_only_home_gives_one_line_and_exit_2(tmp_path: Path, what: str) -> None:
    home = tmp_path / "home"
    if what == "existing":
        add_profile(home, "https://1c.example.ru/b/odata/standard.odata", "https://s.bitrix24.ru")
        target = home / "data"
    else:
        home.mkdir()
        target = home
    with read_only(target) as ok:
        if not ok:
            pytest.skip("cannot make a folder read-only here")
        result = run(home, "journal")
    line = one_line(result)
    assert result.returncode == 2, line
    assert "read-only" in line or "cannot" in line


def test_a_home_that_is_a_file_gives_one_line(tmp_path: Path) -> None:
    home = tmp_path / "file"
    home.write_text("not a folder")
    result = run(home, "profile", "list")
    assert result.returncode == 2
    one_line(result)


# -- keyring backends ------------------------------------------------------------------


@pytest.mark.parametrize(
    "backend",
    [
        "keyrings.alt.file.EncryptedKeyring",
        "keyrings.alt.file.PlaintextKeyring",
        "no.such.Backend",
        "keyring.backends.null.Keyring",
        "keyring.backends.fail.Keyring",
    ],
)
def test_every_keyring_backend_is_said_not_crashed_on(tmp_path: Path, backend: str) -> None:
    home = tmp_path / "home"
    env = {"PYTHON_KEYRING_BACKEND": backend}
    added = run(
        home,
        "profile",
        "add",
        "shop",
        "--onec-url",
        "https://1c.example.ru/b/odata/standard.odata",
        "--onec-user",
        "u",
        "--crm-url",
        "https://s.bitrix24.ru",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert "DESKTOP_SYNC_CRM_SECRET" in added.stdout and "webhook URL" in added.stdout
    shown = run(home, "profile", "show", "shop", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "no secure keyring" in shown.stdout
    synced = run(home, "sync", "--dry-run", env=env)
    assert synced.returncode in (2, 5)  # a keyring that cannot load: configuration
    assert "DESKTOP_SYNC_ONEC_PASSWORD" in one_line(synced)


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal is POSIX")
def test_without_a_keyring_nothing_is_asked_that_would_be_thrown_away(tmp_path: Path) -> None:
    """With a terminal and no keyring, `profile add` says so and asks for nothing."""
    import pty

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env.update(
        {"PYTHON_KEYRING_BACKEND": NO_KEYRING, "DESKTOP_SYNC_HOME": str(home)},
        DESKTOP_SYNC_LANG="en",
    )
    argv = [EXE, "profile", "add", "shop", "--onec-url", "https://1c.example.ru/b"]
    argv += ["--onec-user", "u", "--crm-url", "https://s.bitrix24.ru"]
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(EXE, argv, env)
    import select
    import time

    out = b""
    prompted = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            if out.rsplit(b"\n", 1)[-1].rstrip().endswith(b":"):
                prompted = True  # it sits at a prompt: a secret asked for nothing
                kill_hard(pid)
                break
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    else:
        prompted = True  # still running after a minute
        kill_hard(pid)
    _, status = os.waitpid(pid, 0)
    text = out.decode("utf-8", "replace")
    assert not prompted, f"profile add waited at a prompt: {text!r}"
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "password" not in text.split("No secure keyring")[0].lower()
    assert "1C password:" not in text and "rest/USER/CODE" not in text  # no prompt
    assert "odata/standard.odata" in text  # the address was completed, and said


# -- the systems answering badly --------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    ["500:1@userfieldconfig.add", "html502:1@userfieldconfig.add", "drop:1@userfieldconfig.add"],
)
def test_setup_on_a_failing_crm_ends_4_and_is_retry_safe(tmp_path: Path, fault: str) -> None:
    home = tmp_path / "home"
    with sandboxes(crm_faults=fault) as boxes:
        add_profile(home, boxes["onec_url"], boxes["crm_url"], env=secrets(boxes))
        result = run(home, "setup", env=secrets(boxes))
        line = one_line(result)
        assert result.returncode == 4, line
        assert "setup` again" in line
    with sandboxes() as boxes:  # a second portal, healthy: setup completes
        home2 = tmp_path / "home2"
        add_profile(home2, boxes["onec_url"], boxes["crm_url"], env=secrets(boxes))
        assert run(home2, "setup", env=secrets(boxes)).returncode == 0
        again = run(home2, "setup", env=secrets(boxes))
        assert again.returncode == 0 and "already has every field" in again.stdout


def test_setup_after_a_dropped_answer_creates_nothing_twice(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with sandboxes(crm_faults="drop:1@userfieldconfig.add") as boxes:
        add_profile(home, boxes["onec_url"], boxes["crm_url"], env=secrets(boxes))
        first = run(home, "setup", env=secrets(boxes))
        assert first.returncode == 4
        second = run(home, "setup", env=secrets(boxes))
        assert second.returncode == 4  # the next field's answer is dropped too
        check = run(home, "check", "--json", env=secrets(boxes))
        assert check.returncode in (0, 2), check.stderr
        assert "Traceback" not in check.stderr


def test_an_html_page_with_status_200_from_1c_is_not_a_wrong_password(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with sandboxes(onec_faults="html200:1") as boxes:
        add_profile(home, boxes["onec_url"], boxes["crm_url"], env=secrets(boxes))
        for lang in ("en", "ru"):
            result = run(home, "check", env=secrets(boxes), lang=lang)
            line = one_line(result)
            assert result.returncode == 5
            assert "not a wrong password" in line or "не неверный пароль" in line


def test_unreachable_1c_is_said_without_an_exception_class(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with sandboxes() as boxes:
        crm_url = boxes["crm_url"]
        env = secrets(boxes)
    # Both sandboxes are stopped now: nothing answers on those ports.
    add_profile(home, "http://127.0.0.1:9/base/odata/standard.odata", crm_url, env=env)
    result = run(home, "check", env=env, lang="ru")
    line = one_line(result)
    assert result.returncode == 5
    assert "ConnectError" not in line and "Error" not in line


@pytest.mark.parametrize(
    "webhook",
    [
        "not a url at all",
        "http://10.1.2.3/rest/1/abc/",
        "http://127.0.0.1:9/no/webhook/path",
        "https://other.bitrix24.ru/rest/1/abc/",
    ],
)
def test_a_bad_webhook_in_the_environment_is_a_usage_error(tmp_path: Path, webhook: str) -> None:
    home = tmp_path / "home"
    add_profile(home, "http://127.0.0.1:8/b/odata/standard.odata", "http://127.0.0.1:9")
    env = {"DESKTOP_SYNC_ONEC_PASSWORD": "x", "DESKTOP_SYNC_CRM_SECRET": webhook}
    result = run(home, "sync", "--dry-run", env=env)
    line = one_line(result)
    assert result.returncode in (2, 5), line
    assert "abc" not in line  # the webhook's code is a secret


def test_a_webhook_of_another_portal_on_the_same_host_names_both_ports(tmp_path: Path) -> None:
    """Two portals (two sandboxes) on one host differ by the port alone: the sentence
    named the host twice («он ведёт на 127.0.0.1, а портал профиля — 127.0.0.1»)."""
    home = tmp_path / "home"
    stale = {"DESKTOP_SYNC_CRM_SECRET": "http://127.0.0.1:33075/rest/1/stalecode/"}
    argv = ["profile", "add", "shop", "--onec-url", "http://127.0.0.1:8/b/odata/standard.odata",
            "--onec-user", "u", "--crm-url", "http://127.0.0.1:37967"]  # fmt: skip
    for lang in ("ru", "en"):
        added = run(home, *argv, env=stale, lang=lang)
        line = one_line(added)
        assert added.returncode == 2, line
        assert "127.0.0.1:33075" in line and "127.0.0.1:37967" in line, line
        assert "DESKTOP_SYNC_CRM_SECRET" in line, line  # where the stale webhook came from
        assert "stalecode" not in line
    add_profile(home, "http://127.0.0.1:8/b/odata/standard.odata", "http://127.0.0.1:37967")
    synced = run(home, "sync", "--dry-run", env={**stale, "DESKTOP_SYNC_ONEC_PASSWORD": "x"})
    line = one_line(synced)
    assert synced.returncode == 2, line
    assert "127.0.0.1:33075" in line and "127.0.0.1:37967" in line, line
    assert "stalecode" not in line


def test_a_profile_name_typed_with_spaces_around_is_found_by_its_name(tmp_path: Path) -> None:
    """`profile add "shop "` made a profile «shop » that `--profile shop` never found."""
    home = tmp_path / "home"
    added = run(home, "profile", "add", " shop ", "--onec-url", "https://1c.example.ru/b",
                "--onec-user", "u", "--crm-url", "https://s.bitrix24.ru")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Profile «shop» created." in added.stdout
    shown = run(home, "--profile", "shop", "profile", "show", "shop")
    assert shown.returncode == 0, shown.stderr
    assert run(home, "--profile", "shop", "journal").returncode == 0


# -- ordinary mistakes -------------------------------------------------------------------


def test_export_to_a_missing_folder_names_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    add_profile(home, "https://1c.example.ru/b/odata/standard.odata", "https://s.bitrix24.ru")
    target = tmp_path / "no" / "such" / "folder" / "journal.csv"
    for suffix in (".csv", ".xlsx"):
        result = run(home, "journal", "--export", str(target.with_suffix(suffix)))
        line = one_line(result)
        assert result.returncode == 2
        assert str(target.parent) in line


def test_global_options_after_the_subcommand(tmp_path: Path) -> None:
    home = tmp_path / "home"
    add_profile(home, "https://1c.example.ru/b/odata/standard.odata", "https://s.bitrix24.ru")
    other = tmp_path / "other"
    listed = run(other, "profile", "list", "--home", str(home))
    assert listed.returncode == 0 and "shop" in listed.stdout
    shown = run(home, "journal", "--json", "--profile", "shop")
    assert shown.returncode == 0, shown.stderr
    missing = run(home, "journal", "--profile=nobody")
    assert missing.returncode == 2 and "nobody" in one_line(missing)


def test_the_demo_profile_never_stands_in_the_way(tmp_path: Path) -> None:
    from desktop_sync.config import Profile, ProfileStore

    home = tmp_path / "home"
    store = ProfileStore(home / "config" / "profiles.json")
    store.put(
        Profile(
            name="demo",
            onec_url="http://127.0.0.1:1/b/odata/standard.odata",
            onec_user="u",
            crm_url="http://127.0.0.1:2",
            demo=True,
        ).validate()
    )
    add_profile(home, "https://1c.example.ru/b/odata/standard.odata", "https://s.bitrix24.ru")
    result = run(home, "journal", "--json")
    assert result.returncode == 0, result.stderr  # not «several profiles (demo, shop)»


def test_inbox_resolve_takes_the_number_as_inbox_lists_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    add_profile(home, "https://1c.example.ru/b/odata/standard.odata", "https://s.bitrix24.ru")
    result = run(home, "inbox", "resolve", "#10", "--skip")
    line = one_line(result)
    assert result.returncode == 2
    assert "#10" in line and "not a valid integer" not in line
    bad = run(home, "inbox", "resolve", "ten", "--skip")
    assert "«ten»" in one_line(bad)


def test_the_onec_url_without_the_odata_path_is_completed_and_said(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run(
        home,
        "profile",
        "add",
        "shop",
        "--onec-url",
        "https://example.com/base",
        "--onec-user",
        "u",
        "--crm-url",
        "https://s.bitrix24.ru",
    )
    assert result.returncode == 0, result.stderr
    assert "https://example.com/base/odata/standard.odata" in result.stdout
    shown = run(home, "profile", "show", "shop", "--json")
    assert '"onec_url": "https://example.com/base/odata/standard.odata"' in shown.stdout
    other = run(
        home,
        "profile",
        "add",
        "x",
        "--onec-url",
        "https://example.com/base/odata/other",
        "--onec-user",
        "u",
        "--crm-url",
        "https://s.bitrix24.ru",
    )
    assert other.returncode == 2 and "OData" in one_line(other)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_files_the_app_writes_are_the_users_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    add_profile(home, "https://1c.example.ru/b/odata/standard.odata", "https://s.bitrix24.ru")
    assert run(home, "journal").returncode == 0
    for folder in ("config", "data", "logs"):
        assert (home / folder).stat().st_mode & 0o077 == 0, folder
    for path in home.rglob("*"):
        if path.is_file():
            assert path.stat().st_mode & 0o077 == 0, path


# -- the window ------------------------------------------------------------------------


def test_no_display_gives_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(var, None)
    env.update(DESKTOP_SYNC_HOME=str(tmp_path / "h"), DESKTOP_SYNC_LANG="en")
    result = subprocess.run(
        [EXE], capture_output=True, text=True, encoding="utf-8", env=env, timeout=HANG, check=False
    )
    if not sys.platform.startswith("linux"):
        pytest.skip("the display check is for Linux")
    line = one_line(result)
    assert result.returncode == 2
    assert "no display" in line and "--headless" in line


def test_missing_qt_libraries_are_named_by_their_debian_packages() -> None:
    from desktop_sync.cli.context import CommandError
    from desktop_sync.cli.gui_launch import check_can_open_window

    missing = {"xcb-icccm", "xcb-keysyms"}

    def find(name: str) -> str | None:
        return None if name in missing else f"lib{name}.so"

    with pytest.raises(CommandError) as err:  # named even before the display is asked
        check_can_open_window({"DISPLAY": ":0"}, "linux", find, lambda _d: False)
    assert "libxcb-icccm4 libxcb-keysyms1" in str(err.value)
    assert "cursor" not in str(err.value)
    check_can_open_window({"DISPLAY": ":0"}, "linux", lambda _n: "found.so", lambda _d: True)
    check_can_open_window({"QT_QPA_PLATFORM": "offscreen"}, "linux", find)  # no xcb needed
    check_can_open_window({}, "win32", find)  # the installer carries them


def test_a_display_without_an_x_server_gives_one_line_and_exit_2(tmp_path: Path) -> None:
    """Qt aborts (SIGABRT) when DISPLAY names no server; we ask the socket first."""
    import socket

    from desktop_sync.cli.gui_launch import x_display_answers

    if not sys.platform.startswith("linux"):
        pytest.skip("X11 sockets on Linux")
    free = next(n for n in range(170, 200) if not x_display_answers(f":{n}", 0.5))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.update(DISPLAY=f":{free}", DESKTOP_SYNC_HOME=str(tmp_path / "h"), DESKTOP_SYNC_LANG="en")
    result = subprocess.run(
        [EXE], capture_output=True, text=True, encoding="utf-8", env=env, timeout=HANG, check=False
    )
    line = one_line(result)
    assert result.returncode == 2
    assert f":{free} does not answer" in line
    # A server listening on the display's socket is found.
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(f"\0/tmp/.X11-unix/X{free}")
        server.listen(1)
        assert x_display_answers(f":{free}")
        assert x_display_answers(f"unix:{free}.0")
    assert not x_display_answers("127.0.0.1:" + str(free), 0.5)
    assert x_display_answers("not a display")


def test_the_window_on_this_machine_names_what_is_missing(tmp_path: Path) -> None:
    from desktop_sync.cli.gui_launch import missing_packages

    missing = missing_packages()
    if not sys.platform.startswith("linux") or not missing:
        pytest.skip("every library Qt's xcb platform needs is installed here")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.update(DISPLAY=":99", DESKTOP_SYNC_HOME=str(tmp_path / "h"), DESKTOP_SYNC_LANG="en")
    result = subprocess.run(
        [EXE, "demo"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=HANG,
        check=False,
    )
    line = one_line(result)
    assert result.returncode == 2
    assert " ".join(missing) in line
