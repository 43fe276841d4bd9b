"""Both systems go away in the middle of `desktop-sync sync --apply`, then come back.

The sandboxes sit behind a loopback relay that can be cut (connections refused and the
open ones reset, as when `desktop-sync sandbox` or a server is killed) and restored on
the same port with the systems' state kept. Before, each later write paid its
connector's retries again and each lost answer its look-up's: a run cut mid-apply went
on for many minutes (a medium first sync: hours) before saying anything. Now the run
ends partly done (exit 4) saying which system stopped answering, what was not sent is
journalled as such, and the next run, with the systems back, finishes without a twin.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from desktop_sync.config import AppPaths, Profile, ProfileStore
from desktop_sync.engine.model import OpKind
from desktop_sync.engine.service import SyncService
from desktop_sync.exitcodes import Exit
from desktop_sync.sandbox import bitrix24, onec
from tests.e2e.conftest import World
from tests.killing import HANG, reaped
from tests.reliability.checks import crm_state

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"


class Relay:
    """A TCP relay on loopback to ``upstream``: :meth:`cut` refuses and resets,
    :meth:`restore` listens again on the same port."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.port = 0
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            server = socket.create_connection(("127.0.0.1", self.upstream))
            with self._lock:
                self._open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        assert self._listener is not None
        self._listener.close()
        with self._lock:
            conns, self._open = self._open, []
        for s in conns:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()  # a reset, as a killed process leaves

    def url(self, url: str) -> str:
        return url.replace(f":{self.upstream}", f":{self.port}", 1)


def _applied(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            row = con.execute("SELECT count(*) FROM operation WHERE state='applied'").fetchone()
            return int(row[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


@pytest.fixture
def relayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[World, Relay, Relay]]:
    # the medium set: a first sync of some 3,400 writes, most of them still to come when cut
    one = onec.start(port=0, size="medium")
    crm = bitrix24.start(port=0, size="medium", rate_limit=False)
    one_relay, crm_relay = Relay(urlsplit(one.url).port or 0), Relay(urlsplit(crm.url).port or 0)
    try:
        paths = AppPaths.resolve(tmp_path / "home")
        paths.ensure()
        monkeypatch.setenv("DESKTOP_SYNC_ONEC_PASSWORD", one.password)
        monkeypatch.setenv("DESKTOP_SYNC_CRM_SECRET", crm_relay.url(crm.webhook))
        profile = Profile(name="shop", onec_url=one_relay.url(one.url), onec_user=one.user,
                          crm_url=crm_relay.url(crm.url), stages={"send": "DT31_1:S"},
                          crm_throttle=False)  # fmt: skip
        profile = ProfileStore(paths.profiles_file).add(profile)
        with SyncService.open(profile, paths) as svc:
            svc.setup()
        yield World(one, crm, paths, profile), one_relay, crm_relay
    finally:
        one_relay.cut()
        crm_relay.cut()
        one.stop()
        crm.stop()


def test_systems_gone_mid_apply_end_the_run_partly_done_and_the_next_run_finishes(
    relayed: tuple[World, Relay, Relay],
) -> None:
    world, one_relay, crm_relay = relayed
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env.update(
        DESKTOP_SYNC_HOME=str(world.paths.config_dir.parent),
        DESKTOP_SYNC_ONEC_PASSWORD=world.onec.password,
        DESKTOP_SYNC_CRM_SECRET=crm_relay.url(world.crm.webhook),
        DESKTOP_SYNC_LANG="en",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    db = world.paths.journal_path()
    popen = subprocess.Popen([EXE, "sync", "--apply"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, encoding="utf-8")  # fmt: skip
    with reaped(popen) as proc:
        hang = time.monotonic() + HANG
        while proc.poll() is None and _applied(db) < 300:
            assert time.monotonic() < hang, "300 writes not applied before the hang bound"
            time.sleep(0.01)
        assert proc.poll() is None, "the run ended before the systems could go away"
        one_relay.cut()
        crm_relay.cut()
        out, err = proc.communicate(timeout=HANG)
    assert proc.returncode == Exit.PARTIAL, (proc.returncode, out[-2000:], err[-2000:])
    assert "Traceback" not in out + err
    assert "stopped answering during the run" in out, out[-2000:]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        errors = [e for (e,) in con.execute("SELECT error FROM operation WHERE state='failed'")]
    assert errors  # failed, or not sent: planned again

    one_relay.restore()
    crm_relay.restore()
    with world.service() as svc:
        summary, _plan = svc.run()  # settles what was in flight, then the rest
    assert summary.counts["failed"] == 0, summary.failures
    crm = crm_state(world)
    assert crm["origin"] and max(crm["origin"].values()) == 1  # no twin company
    made = [n for xml, n in crm["product_xml"].items() if xml]
    assert made and max(made) == 1  # nor a twin product
    with world.service() as svc:
        _s, plan = svc.run()
    assert [op for op in plan.operations if op.kind is OpKind.CREATE] == []
