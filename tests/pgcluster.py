"""A throwaway PostgreSQL cluster for the tests of the shared journal.

The tests start their own server: ``initdb`` into a temporary folder, ``pg_ctl`` on a
free loopback port (and a Unix socket for the administrator), stopped and deleted at
the end of the session. The binaries are the Debian ``postgresql`` package's
(``/usr/lib/postgresql/*/bin``, installed by ``.ci/run``) or any ``initdb`` on PATH.
``initdb`` refuses to run as root: as root the cluster belongs to the ``postgres`` user
(or ``nobody``), through ``runuser``.

Workstations log in over TCP as ``sync`` with a password (SCRAM), so the tests go
through the same password path as a real team; the administrator uses the socket.

Where PostgreSQL cannot be started the tests are skipped with the reason, except in
CI on Linux (``CI=true``), where that is a failure: CI installs it.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "sync"
PASSWORD = "s3cret-journal-Пароль"  # a secret that must never show anywhere
_counter = itertools.count(1)


def _bindir() -> Path | None:
    env = os.environ.get("DESKTOP_SYNC_PG_BINDIR")
    if env:
        return Path(env)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    return Path(which).parent if which else None


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    root: Path
    bindir: Path
    port: int
    run_as: str | None

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def url(self, database: str, user: str = USER) -> str:
        """The URL a workstation puts in ``journal.url`` (no password in it)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.socket_dir), port=self.port, user="postgres", dbname="postgres",
            autocommit=True,
        ) as conn:  # fmt: skip
            conn.execute(sql.encode())

    def new_database(self, prefix: str = "j") -> str:
        name = f"{prefix}{os.getpid()}_{next(_counter)}"
        self.admin(f'CREATE DATABASE "{name}" OWNER {USER}')
        return name

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def start(self, *, durable: bool = False) -> None:
        data = self.root / "data"
        pwfile = self.root / "pw"
        pwfile.write_text("postgres-admin\n", encoding="utf-8")
        if self.run_as:
            import pwd

            info = pwd.getpwnam(self.run_as)
            for p in (self.root, pwfile):
                os.chown(p, info.pw_uid, info.pw_gid)
        self.socket_dir.mkdir()
        if self.run_as:
            os.chown(self.socket_dir, info.pw_uid, -1)
        subprocess.run(
            self._cmd(
                str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
                "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}", "--no-sync",
            ),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=60 -c shared_buffers=16MB"
        )
        if not durable:  # tests: no fsync (the benchmark keeps PostgreSQL's defaults)
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            self._cmd(
                str(self.bindir / "pg_ctl"), "-D", str(data), "-o", options,
                "-l", str(self.root / "log"), "-w", "-t", "60", "start",
            ),
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip
        self.admin(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            subprocess.run(
                self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"),
                          "-m", "immediate", "-w", "stop"),
                capture_output=True, timeout=60,
            )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


def _run_as() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return "nobody"


def unavailable(reason: str) -> None:
    """Skip, or in CI on Linux fail: CI installs PostgreSQL (.ci/run)."""
    if os.environ.get("CI") == "true" and sys.platform.startswith("linux"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL here: {reason}")


def start_cluster(*, durable: bool = False) -> PgCluster:
    if sys.platform == "win32":  # Windows under Wine sees the Linux binaries but cannot run them
        pytest.skip(
            "the throwaway PostgreSQL (runuser, a Unix socket) is started on Linux only; "
            "CI's Linux run covers the shared journal"
        )
    bindir = _bindir()
    if bindir is None or not (bindir / "initdb").exists():
        unavailable("initdb not found (apt install postgresql, or DESKTOP_SYNC_PG_BINDIR)")
        raise AssertionError("unreachable")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("the psycopg package is not installed")
    root = Path(tempfile.mkdtemp(prefix="ds-pg-"))
    os.chmod(root, 0o755)
    cluster = PgCluster(root, bindir, _free_port(), _run_as())
    try:
        cluster.start(durable=durable)
    except (OSError, subprocess.SubprocessError) as exc:
        log = root / "log"
        detail = log.read_text(errors="replace")[-500:] if log.exists() else ""
        stderr = getattr(exc, "stderr", b"") or b""
        cluster.stop()
        unavailable(f"{exc} {stderr.decode(errors='replace')[-300:]} {detail}".strip())
    return cluster
