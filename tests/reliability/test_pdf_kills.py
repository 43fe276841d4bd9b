"""F11 under SIGKILL: a real ``desktop-sync sync --apply`` killed while a printed invoice
(PDF) is on its way to the CRM invoice's timeline, then restarted.

The portal is made to execute ``crm.timeline.comment.add`` and then hold the answer
(the sandbox's ``timeout`` fault), so the kill lands exactly where the outcome is
unknown: the comments of that batch request are on the timelines, the journal says
"sending". The restarted run finds each by the key in its text instead of sending it
again: each linked invoice ends with exactly one PDF comment, and the run after plans
nothing.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from desktop_sync.config import ProfileStore
from desktop_sync.exitcodes import Exit
from desktop_sync.sandbox.bitrix24.faults import FaultPlan
from tests.e2e.conftest import World
from tests.killing import HANG, kill_hard, reaped, was_killed

from .checks import CONFIGURATIONS, journal_problems, open_world, service
from .conftest import Tally
from .test_faults import converge
from .test_kills import cli_apply, start_apply


def pdf_comments(world: World) -> Counter[int]:
    """Per CRM invoice: how many comments with a file its timeline holds."""
    st = world.crm.store
    with st.lock:
        rows = list(st.comments.rows.values())
    return Counter(int(r["ENTITY_ID"]) for r in rows if r.get("FILES"))


def _sending_pdf(db: Path) -> bool:
    if not db.exists():
        return False
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        row = con.execute(
            "SELECT count(*) FROM operation WHERE entity_type = 'invoice_pdf' "
            "AND state IN ('sending', 'outcome_unknown')"
        ).fetchone()
    except sqlite3.OperationalError:
        return False
    finally:
        con.close()
    return bool(row and row[0])


def _printing(world: World, on: bool) -> None:
    store = ProfileStore(world.paths.profiles_file)
    world.profile = store.get(world.profile.name).with_setting(
        "print.invoice_pdf", "on" if on else "off"
    )
    store.put(world.profile)


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_killed_while_a_pdf_is_unanswered_then_restarted_sends_no_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configuration: str, tally: Tally
) -> None:
    tally.tried += 1
    with open_world(tmp_path, monkeypatch, configuration=configuration) as world:
        _printing(world, False)
        converge(world)  # everything else done: the next run attaches the PDFs only
        assert pdf_comments(world) == Counter()
        _printing(world, True)
        portal = world.crm.portal
        portal.faults = FaultPlan("timeout:1@crm.timeline.comment.add", 7)
        portal.faults.timeout_seconds = 60.0
        with reaped(start_apply(world)) as proc:
            hang = time.monotonic() + HANG
            while not _sending_pdf(world.paths.journal_path()):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < hang, f"no PDF on its way in {HANG:.0f} s"
                time.sleep(0.02)
            while sum(pdf_comments(world).values()) == 0:  # the add executed, answer held
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < hang, f"no PDF on a timeline in {HANG:.0f} s"
                time.sleep(0.02)
            kill_hard(proc)
            proc.communicate(timeout=HANG)
        assert was_killed(proc.returncode)
        tally.kills += 1
        made = sum(pdf_comments(world).values())  # a batch request: made, never answered
        assert made >= 1
        portal.faults = FaultPlan("", 7)
        portal.stopping.set()  # release the held answer's thread at once
        portal.stopping.clear()

        final = cli_apply(world)
        assert final.returncode in (Exit.OK, Exit.WAITING), final.stderr
        converge(world)
        with service(world) as svc:
            linked = {int(lk.crm_id or 0) for lk in svc.journal.links("invoice")}
        con = sqlite3.connect(f"file:{world.paths.journal_path()}?mode=ro", uri=True)
        try:
            (found,) = con.execute(
                "SELECT count(*) FROM operation WHERE entity_type = 'invoice_pdf' "
                "AND state = 'applied' AND step = 'found_on_resume'"
            ).fetchone()
        finally:
            con.close()
        counts = pdf_comments(world)
        twins = sum(n - 1 for n in counts.values() if n > 1)
        tally.duplicated += twins
        assert twins == 0, counts
        assert set(counts) == linked and set(counts.values()) == {1}
        assert found == made, "the restarted run found each comment by its key"
        assert journal_problems(world.paths.journal_path()) == []
        tally.passed += 1
