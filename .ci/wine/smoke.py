"""Smoke test of the real console program on Windows, as an accountant's PC runs it.

Run by the Windows Python under Wine (``.ci/wine/run`` does, with a Russian ANSI
code page: ``LANG=ru_RU.UTF-8`` makes Wine's ACP 1251 and OEMCP 866). Each step
starts ``desktop-sync.exe`` (the pip console-script launcher) with stdin on ``NUL``
and stdout/stderr on pipes, as a .bat file with ``| findstr``, a PowerShell
pipeline or Task Scheduler does:

1. ``--version``;
2. ``profile add`` with the secrets in the environment (no prompt may wait);
3. ``setup`` and ``sync --dry-run`` piped, against the sandboxes on loopback;
4. ``sync --dry-run --json`` piped: strict UTF-8 and valid JSON;
5. ``demo --headless``.

Exit 0 when every step passed, 1 otherwise (each failure named with its output).
``--any-code-page``: do not insist on cp1251 (GitHub's Windows runners are cp1252).
"""

from __future__ import annotations

import json
import locale
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


def _program() -> str:
    """desktop-sync.exe beside python.exe (embeddable, venv) or in Scripts\\ (installed)."""
    here = Path(sys.executable).parent
    for folder in (here, here / "Scripts"):
        found = shutil.which("desktop-sync", path=str(folder))
        if found:
            return found
    return shutil.which("desktop-sync") or "desktop-sync"


EXE = _program()
failures: list[str] = []


def step(
    name: str,
    args: Sequence[str],
    env: dict[str, str],
    timeout: float,
    ok: Sequence[int] = (0,),
) -> bytes:
    """Run the program; record a failure (with its output) unless it exits in ``ok``."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            [EXE, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        failures.append(f"{name}: no answer in {timeout:.0f} s")
        print(f"-- {name}: TIMEOUT after {timeout:.0f} s", flush=True)
        return b""
    took = time.monotonic() - started
    verdict = "ok" if done.returncode in ok else "FAILED"
    print(f"-- {name}: exit {done.returncode}, {took:.1f} s: {verdict}", flush=True)
    if done.returncode not in ok:
        tail = (done.stdout[-1500:] + b"\n" + done.stderr[-1500:]).decode("utf-8", "replace")
        failures.append(f"{name}: exit {done.returncode}\n{tail}")
    return done.stdout


def utf8(name: str, raw: bytes) -> str:
    """The program's piped output: UTF-8 whatever the code page (issue 24 item 2)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        failures.append(f"{name}: piped output is not UTF-8 ({exc}): {raw[:200]!r}")
        return ""


def main(argv: Sequence[str]) -> int:
    # This driver's own report goes to a pipe in the ANSI code page: never fail on it.
    sys.stdout.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    any_code_page = "--any-code-page" in argv  # a real Windows runner is cp1252
    encoding = locale.getpreferredencoding(False)
    print(f"-- {EXE}, ANSI code page {encoding}", flush=True)
    if encoding != "cp1251" and not any_code_page:
        print(f"smoke: expected the Russian ANSI code page cp1251, got {encoding}")
        return 1
    from desktop_sync import __version__
    from desktop_sync.sandbox import bitrix24, onec

    base = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    base["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # no secret on disk
    with tempfile.TemporaryDirectory(prefix="ds-smoke-") as tmp:
        out = step("--version", ["--version"], base, 60)
        if __version__ not in out.decode("utf-8", "replace"):
            failures.append(f"--version: {__version__} not in {out!r}")

        one = onec.start(port=0)
        crm = bitrix24.start(port=0)
        try:
            env = {
                **base,
                "DESKTOP_SYNC_HOME": str(Path(tmp, "home")),
                "DESKTOP_SYNC_ONEC_PASSWORD": one.password,
                "DESKTOP_SYNC_CRM_SECRET": crm.webhook,
            }
            add = ["profile", "add", "shop", "--onec-url", one.url, "--onec-user", one.user]
            added = utf8("profile add", step("profile add", [*add, "--crm-url", crm.url], env, 60))
            russian = any("а" <= c <= "я" for c in added.lower())
            if "«shop»" not in added or not (russian or any_code_page):
                failures.append(f"profile add: not a Russian line naming «shop»: {added!r}")
            step("setup", ["setup"], env, 120)
            plan = step("sync --dry-run | more", ["sync", "--dry-run"], env, 180, ok=(0, 3))
            if "→" not in utf8("sync --dry-run", plan):  # the plan's arrows, not in cp1251
                failures.append("sync --dry-run: no plan line with → in the piped output")
            raw = step("sync --dry-run --json | more", ["sync", "--dry-run", "--json"], env,
                       180, ok=(0, 3))  # fmt: skip
            try:
                data = json.loads(raw.decode("utf-8"))  # strict: what ConvertFrom-Json reads
                if data.get("mode") != "dry_run":
                    failures.append(f"sync --dry-run --json: mode {data.get('mode')!r}")
            except ValueError as exc:
                failures.append(f"sync --dry-run --json: not UTF-8 JSON ({exc}): {raw[:200]!r}")
        finally:
            one.stop()
            crm.stop()

        demo_env = {**base, "DESKTOP_SYNC_HOME": str(Path(tmp, "demo"))}
        # exit 3: the demo's sample data leaves items waiting for a person, as designed
        step("demo --headless", ["demo", "--headless"], demo_env, 180, ok=(0, 3))

    if failures:
        print(f"smoke: {len(failures)} failed")
        for failure in failures:
            print(f"== {failure}")
        return 1
    print("smoke: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
