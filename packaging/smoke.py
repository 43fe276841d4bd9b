"""Smoke test of the built executable: run it as a user would, with a throw-away home.

    python packaging/smoke.py [--exe packaging/dist/desktop-sync/desktop-sync]

Checks, each a separate run of the executable:

1. ``--version`` prints the version of ``pyproject.toml`` (timed: start-up cost);
2. ``smoke-gui``: the main window opens offscreen, is shown and exposed, quits (timed);
3. ``demo --smoke``: both sandboxes, the demo profile, the window with data on both
   sides (1C and CRM), then quits;
4. ``sandbox --json`` in the background, ``profile add`` against it, then
   ``sync --dry-run --json`` (secrets from the environment, as on a server);
5. ``demo --headless``: a whole synchronisation;
6. ``smoke-keyring``: set/get/delete through the OS keyring the *frozen* build finds
   (GNOME Keyring under ``dbus-run-session``), skipped with a printed reason where
   no Secret Service can start.

Any traceback, any stderr line not in ``ALLOWED_STDERR``, any unexpected exit code,
or an error in the application's log file fails the smoke test (exit 1), as
qutebrowser's ``build_release.py: smoke_test`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import buildinfo

WINDOWS = os.name == "nt"
DEFAULT_EXE = (
    buildinfo.PACKAGING
    / "dist"
    / "desktop-sync"
    / ("desktop-sync.exe" if WINDOWS else "desktop-sync")
)
TIMEOUT = 180.0

# Lines a healthy run may print on stderr, each a full-line regex. Everything else fails.
ALLOWED_STDERR = [
    # Qt's offscreen platform (CI, no display): harmless notes.
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
    r"This plugin does not support setParent!?",
    r"QStandardPaths: (XDG_RUNTIME_DIR not set|runtime directory '.*' is not owned by UID \d+|"
    r"wrong permissions on runtime directory .*), .*",
    r"QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '.*'",
    # No system tray on a bare CI machine.
    r"QSystemTrayIcon::setVisible: No Icon set",
    # gnome-keyring-daemon, started for the keyring round trip only.
    r"\*\* Message: .*gnome-keyring.*",
    r"gnome-keyring-daemon: .*",
    r"discover_other_daemon: \d+",
    r"dbus-daemon\[\d+\]: \[session uid=\d+ pid=\d+\] "
    r"(org\.freedesktop\.DBus\.Error\.AccessDenied: Failed to set fd limit to \d+: "
    r"Operation not permitted|Activating service name='org\.freedesktop\.secrets'.*|"
    r"Successfully activated service 'org\.freedesktop\.secrets')",
    # check_shared_journal: a PostgreSQL journal on a port where nothing listens.
    r"desktop-sync: the shared journal 127\.0\.0\.1:1/smoke cannot be used: .*",
]
_ALLOWED = [re.compile(rf"^{p}$") for p in ALLOWED_STDERR]


@dataclass
class Smoke:
    exe: Path
    home: Path
    failures: list[str] = field(default_factory=list)
    skips: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
        env.update(
            DESKTOP_SYNC_HOME=str(self.home),
            DESKTOP_SYNC_LANG="en",
            QT_QPA_PLATFORM="offscreen",
            # No keyring prompts outside the keyring step: secrets come from the environment.
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            # No system time-zone database, as on Windows: the build must carry tzdata.
            PYTHONTZPATH="",
        )
        env.update(extra)
        return env

    def run(
        self, name: str, args: list[str], *, ok: tuple[int, ...] = (0,), **env: str
    ) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        result = subprocess.run(
            [str(self.exe), *args],
            capture_output=True,
            text=True,
            env=self.env(**env),
            timeout=TIMEOUT,
            check=False,
        )
        self.timings.setdefault(name, time.monotonic() - started)
        self.judge(name, result.returncode, result.stdout, result.stderr, ok)
        return result

    def judge(self, name: str, code: int, stdout: str, stderr: str, ok: tuple[int, ...]) -> bool:
        problems = []
        if code not in ok:
            problems.append(f"exit code {code}, expected {' or '.join(map(str, ok))}")
        if "Traceback (most recent call last)" in stdout + stderr:
            problems.append("a traceback")
        unexpected = [
            line
            for line in stderr.splitlines()
            if line.strip() and not any(p.match(line) for p in _ALLOWED)
        ]
        if unexpected:
            problems.append("unexpected stderr: " + " | ".join(unexpected[:10]))
        status = "ok" if not problems else "FAIL"
        print(f"[{status}] {name}", flush=True)
        if problems:
            self.failures.append(f"{name}: " + "; ".join(problems))
            print("      " + "\n      ".join(problems), flush=True)
            print("      --- stdout (tail)\n" + _indent(stdout[-3000:]), flush=True)
            print("      --- stderr (tail)\n" + _indent(stderr[-3000:]), flush=True)
        return not problems

    def fail(self, name: str, why: str) -> None:
        print(f"[FAIL] {name}: {why}", flush=True)
        self.failures.append(f"{name}: {why}")


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def check_version(s: Smoke) -> None:
    expected = f"desktop-sync, version {buildinfo.read_info().version}"
    times = []
    for _ in range(3):
        started = time.monotonic()
        result = s.run("--version", ["--version"])
        times.append(time.monotonic() - started)
        if result.stdout.strip() != expected:
            s.fail("--version", f"printed {result.stdout.strip()!r}, expected {expected!r}")
            return
    s.timings["--version"] = statistics.median(times)


def check_window(s: Smoke, name: str, args: list[str], need_data: bool) -> None:
    launched = time.time()
    result = s.run(name, args)
    report = _last_json(result.stdout)
    if result.returncode != 0:
        return
    if not report or report.get("ready") is not True:
        s.fail(name, f"no readiness report in {result.stdout[-500:]!r}")
        return
    s.timings[f"{name}: window ready"] = float(report["at"]) - launched
    if need_data:
        data = report.get("data") or {}
        onec = sum(int(tab.get("onec", 0)) for tab in data.values())
        crm = sum(int(tab.get("crm", 0)) for tab in data.values())
        if not (onec and crm):
            s.fail(name, f"the window shows no data on one side: {data}")
        else:
            print(f"      rows with a 1C side: {onec}, with a CRM side: {crm}", flush=True)


def check_sandbox_and_dry_run(s: Smoke) -> None:
    name = "sandbox --json"
    proc = subprocess.Popen(
        [str(s.exe), "sandbox", "--json", "--rate-limit", "off"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=s.env(),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        try:
            info = json.loads(first)
            onec, crm = info["onec"], info["crm"]
        except (ValueError, KeyError, TypeError):
            s.fail(name, f"first stdout line is not the connection JSON: {first!r}")
            return
        print(f"[ok] {name}: 1C {onec['url']}, CRM {crm['url']}", flush=True)
        secrets = {
            "DESKTOP_SYNC_ONEC_PASSWORD": onec["password"],
            "DESKTOP_SYNC_CRM_SECRET": crm["webhook"],
        }
        s.run(
            "profile add",
            ["profile", "add", "smoke", "--onec-url", onec["url"], "--onec-user", onec["user"],
             "--crm-url", crm["url"], "--configuration", onec["configuration"]],
            **secrets,
        )  # fmt: skip
        s.run("profile set", ["profile", "set", "smoke", "crm.throttle", "off"])
        s.run("profile set", ["profile", "set", "smoke", "stage.send", "DT31_1:S"])
        result = s.run(
            "sync --dry-run --json",
            ["--profile", "smoke", "sync", "--dry-run", "--json"],
            ok=(0, 3),
            **secrets,
        )
        data = _last_json(result.stdout)
        if result.returncode in (0, 3) and (not data or data.get("mode") != "dry_run"):
            s.fail("sync --dry-run --json", f"no dry-run JSON: {result.stdout[-500:]!r}")
        elif data:
            print(f"      planned {data['counts']['planned']} operations", flush=True)
    finally:
        # Windows has no SIGTERM: terminate() ends the process without a handler there.
        if WINDOWS:
            proc.terminate()
        else:
            proc.send_signal(signal.SIGTERM)
        try:
            _out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
            s.fail(name, "did not stop within 30 s of SIGTERM")
        stopped_ok = (proc.returncode,) if WINDOWS else (0,)  # terminate() sets no code
        s.judge(f"{name} (stopped)", proc.returncode, "", err, stopped_ok)


def check_keyring(s: Smoke) -> None:
    name = "keyring round trip"
    if WINDOWS:  # Windows Credential Manager: always there, no daemon to start
        # An empty PYTHON_KEYRING_BACKEND lets keyring choose by priority, as users get it.
        result = s.run(name, ["smoke-keyring"], PYTHON_KEYRING_BACKEND="")
        report = _last_json(result.stdout) or {}
        if result.returncode == 0 and (
            report.get("roundtrip") != "ok" or "Windows" not in str(report.get("backend"))
        ):
            s.fail(name, f"the frozen build did not use Credential Manager: {report}")
        return
    runner, daemon = shutil.which("dbus-run-session"), shutil.which("gnome-keyring-daemon")
    if not (runner and daemon):
        why = "no dbus-run-session/gnome-keyring-daemon on this machine"
        s.skips.append(f"{name}: {why}")
        print(f"[skip] {name}: {why}", flush=True)
        return
    script = (
        "echo -n smoke | gnome-keyring-daemon --unlock --components=secrets >/dev/null "
        '|| { echo "gnome-keyring-daemon could not start" >&2; exit 97; }; '
        'exec "$0" smoke-keyring'
    )
    # A private HOME: a fresh login keyring unlocked with our password, never the user's.
    keyring_home = s.home / "keyring-home"
    (keyring_home / "run").mkdir(parents=True, mode=0o700)
    env = s.env(
        HOME=str(keyring_home),
        XDG_DATA_HOME=str(keyring_home / "share"),
        XDG_RUNTIME_DIR=str(keyring_home / "run"),  # no other keyring daemon is found
    )
    env.pop("PYTHON_KEYRING_BACKEND")
    result = subprocess.run(
        [runner, "--", "sh", "-c", script, str(s.exe)],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
        check=False,
    )
    if result.returncode == 97 or "Failed to connect to socket" in result.stderr:
        why = f"no Secret Service could start here ({result.stderr.strip()[:200]})"
        s.skips.append(f"{name}: {why}")
        print(f"[skip] {name}: {why}", flush=True)
        return
    if not s.judge(f"{name}: exit code, stderr", result.returncode, result.stdout,
                   result.stderr, (0,)):  # fmt: skip
        return
    report = _last_json(result.stdout) or {}
    if report.get("roundtrip") != "ok" or "SecretService" not in str(report.get("backend")):
        s.fail(name, f"the frozen build did not use the Secret Service: {report}")
    else:
        print(f"      backend {report['backend']}: set/get/delete ok", flush=True)


def check_log(s: Smoke) -> None:
    log = s.home / "logs" / "desktop-sync.log"
    text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    bad = [line for line in text.splitlines() if "Traceback" in line or " ERROR " in line]
    if bad:
        s.fail("log file", "errors logged: " + " | ".join(bad[:5]))
    else:
        print("[ok] log file: no error logged", flush=True)


def du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


def check_shared_journal(s: Smoke) -> None:
    """psycopg and its libpq are bundled: a shared journal where nothing listens is
    "cannot connect" (exit 5, libpq's own refusal), not a missing module (exit 1)."""
    s.run("profile set journal.url", ["profile", "set", "smoke", "journal.url",
                                      "postgresql://sync@127.0.0.1:1/smoke"])  # fmt: skip
    result = s.run("journal (PostgreSQL)", ["--profile", "smoke", "journal"], ok=(5,))
    if "refused" not in result.stderr.lower() and result.returncode == 5:
        s.fail("journal (PostgreSQL)", f"not libpq's refusal: {result.stderr[-300:]!r}")
    s.run("profile set journal.url ''", ["profile", "set", "smoke", "journal.url", ""])


def main() -> int:
    parser = argparse.ArgumentParser(description="smoke-test the built executable")
    parser.add_argument("--exe", type=Path, default=DEFAULT_EXE)
    parser.add_argument("--keep-home", action="store_true", help="do not delete the temp home")
    args = parser.parse_args()
    exe: Path = args.exe.resolve()
    if not exe.is_file():
        print(f"no executable at {exe}: build it first (python packaging/build.py)")
        return 1
    home = Path(tempfile.mkdtemp(prefix="desktop-sync-smoke-"))
    s = Smoke(exe, home)
    print(f"== smoke test of {exe} (home {home})", flush=True)
    try:
        check_version(s)
        check_window(s, "smoke-gui", ["smoke-gui"], need_data=False)
        check_window(s, "demo --smoke", ["demo", "--smoke"], need_data=True)
        check_sandbox_and_dry_run(s)
        check_shared_journal(s)
        s.run("smoke-pdf", ["smoke-pdf"])  # fpdf2, the fonts and the QR code are bundled
        s.run("demo --headless", ["demo", "--headless"], ok=(0, 3))
        check_keyring(s)
        check_log(s)
    finally:
        if not args.keep_home:
            shutil.rmtree(home, ignore_errors=True)
    folder = exe.parent if (exe.parent / "_internal").is_dir() else exe
    print(f"== size: {du(folder) / 2**20:.1f} MiB ({folder})")
    for what, seconds in s.timings.items():
        print(f"== time: {what}: {seconds:.2f} s")
    for skip in s.skips:
        print(f"== skipped: {skip}")
    if s.failures:
        print(f"== SMOKE TEST FAILED ({len(s.failures)}):")
        for failure in s.failures:
            print(f"   - {failure}")
        return 1
    print("== smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
