"""Ctrl+C (SIGINT) during `desktop-sync sync --apply`, as a person at a terminal does it.

The console script is started in a process of its own against both sandboxes over
loopback; once the journal holds a few applied writes it gets SIGINT. It must end
with exit 4 (partly done, the next run resumes) and one sentence saying so in the
person's language — not «cancelled» with exit 2 (a usage error), which is what
click's own Abort said. The journal calls the run interrupted, and the next run
finishes the job without a twin.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_sync.engine.model import OpKind
from desktop_sync.exitcodes import Exit
from tests.e2e.conftest import make_world
from tests.killing import HANG, journal_states, reaped
from tests.reliability.checks import crm_state

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"


def _default_sigint() -> None:  # a person's terminal: SIGINT not ignored
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to another process is POSIX")
@pytest.mark.parametrize(
    ("lang", "said", "as_json"),
    [
        ("ru", "прервано: уже записанное сохранено", False),
        ("en", "interrupted: what was already", False),
        ("en", "interrupted: what was already", True),  # and the one JSON object on stdout
    ],
)
def test_ctrl_c_during_apply_is_one_sentence_exit_4_and_the_next_run_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, said: str, as_json: bool
) -> None:
    gen = make_world(tmp_path, monkeypatch, onec_faults="delay:0.05")
    world = next(gen)
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")},
            **world.env(),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "DESKTOP_SYNC_LANG": lang,
        }
        db = world.paths.journal_path()
        argv = [EXE, "sync", "--apply", *(["--json"] if as_json else [])]
        popen = subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            preexec_fn=_default_sigint,
        )
        with reaped(popen) as proc:
            hang = time.monotonic() + HANG
            while proc.poll() is None and journal_states(db)["applied"] < 3:
                assert time.monotonic() < hang, "3 writes not applied before the hang bound"
                time.sleep(0.01)
            assert proc.poll() is None, "the run ended before it could be interrupted"
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=HANG)
        assert proc.returncode == Exit.PARTIAL, (proc.returncode, err)
        assert "Traceback" not in out + err
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1, err
        assert lines[0].startswith("desktop-sync: " + said), lines[0]
        if as_json:
            data = json.loads(out)
            assert data["outcome"] == "cancelled" and data["message"].startswith(said), data

        with world.service() as svc:
            summary, _plan = svc.run()  # settles what was in flight, then the rest
            assert summary.counts["failed"] == 0, summary.failures
            runs = svc.journal.runs()
        assert runs[-1].outcome == "crashed"  # the journal's «interrupted»
        crm = crm_state(world)
        assert crm["origin"] and max(crm["origin"].values()) == 1  # no twin company
        made = [n for xml, n in crm["product_xml"].items() if xml]
        assert made and max(made) == 1  # nor a twin product
        with world.service() as svc:
            _s, plan = svc.run()
        assert [op for op in plan.operations if op.kind is OpKind.CREATE] == []
    finally:
        gen.close()
