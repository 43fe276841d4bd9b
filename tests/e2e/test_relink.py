"""Idempotency that survives the journal: a new profile or a lost journal adopts what exists.

After a full synchronisation, the profile is removed and added again (a new random
identity, an empty link table), or the journal file is deleted or emptied. The next
run must create nothing that already exists on either side: every record is found by
what the systems themselves carry (the 1C Ref_Key in the CRM company's ORIGIN_ID and
the requisite's XML_ID, the product's xmlId, the CRM invoice's id in the 1C document,
ИНН/КПП) and relinked, and the plan and the summary say how many.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

from desktop_sync.config import ProfileStore
from desktop_sync.engine.model import OpKind
from desktop_sync.engine.service import SyncService
from tests.reliability.checks import diff, state

from .conftest import World, noted


def _full_sync(world: World) -> None:
    """Runs until nothing is left to do (money flows follow the 1C numbers)."""
    for _ in range(4):
        with world.service() as svc:
            summary, plan = svc.run()
        assert summary.counts.get("failed", 0) == 0, summary.failures
        if not plan.operations:
            return
    raise AssertionError(f"no convergence: {[op.op_id for op in plan.operations[:5]]}")


def _cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **world.env(),
        "DESKTOP_SYNC_LANG": "en",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    return subprocess.run(
        [sys.executable, "-m", "desktop_sync", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


def _creates(plan_ops: tuple[object, ...]) -> list[str]:
    return [op.op_id for op in plan_ops if getattr(op, "kind", None) is OpKind.CREATE]


def _after_relink_nothing_is_created(
    world: World, before: dict[str, dict[str, Counter[str]]]
) -> None:
    with world.service() as svc:
        _snap, plan = svc.prepare()
        assert _creates(plan.operations) == [], _creates(plan.operations)[:10]
        relinks = [op for op in plan.operations if op.kind is OpKind.LINK]
        assert relinks, "the plan relinks what exists"
        summary = svc.apply(plan)
    assert summary.counts.get("failed", 0) == 0, summary.failures
    assert summary.counts.get("relinked", 0) == len(relinks)
    lost, dup, lines = diff(before, state(world))
    assert (lost, dup) == (0, 0), "\n".join(lines[:20])
    # and the run after that has nothing left to do
    with world.service() as svc:
        _snap, plan = svc.prepare()
    assert _creates(plan.operations) == []


def test_profile_removed_and_added_again_creates_nothing(world: World) -> None:
    _full_sync(world)
    before = state(world)
    old = world.profile
    removed = _cli(world, "profile", "remove", old.name)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    added = _cli(
        world,
        "profile",
        "add",
        old.name,
        "--onec-url",
        old.onec_url,
        "--onec-user",
        old.onec_user,
        "--crm-url",
        old.crm_url,
        "--configuration",
        old.configuration,
    )
    assert added.returncode == 0, added.stdout + added.stderr
    for key, value in (("stage.send", old.stages["send"]), ("crm.throttle", "off")):
        done = _cli(world, "profile", "set", old.name, key, value)
        assert done.returncode == 0, done.stdout + done.stderr
    world.profile = ProfileStore(world.paths.profiles_file).get(old.name)
    assert world.profile.uuid != old.uuid
    _after_relink_nothing_is_created(world, before)


def test_journal_deleted_creates_nothing(world: World) -> None:
    _full_sync(world)
    before = state(world)
    journal: Path = world.paths.journal_path()
    for extra in ("", "-wal", "-shm"):
        Path(f"{journal}{extra}").unlink(missing_ok=True)
    _after_relink_nothing_is_created(world, before)


def test_journal_emptied_creates_nothing(world: World) -> None:
    _full_sync(world)
    before = state(world)
    journal: Path = world.paths.journal_path()
    for extra in ("-wal", "-shm"):
        Path(f"{journal}{extra}").unlink(missing_ok=True)
    journal.write_bytes(b"")
    _after_relink_nothing_is_created(world, before)


def test_a_plan_read_before_another_profiles_run_creates_nothing_twice(world: World) -> None:
    """Two profiles on the same pair of systems (each its own journal rows): the first
    reads its plan, the second synchronises, then the first applies its plan. Each of
    its creates looks its key (or ИНН/КПП) up before writing, and relinks."""
    store = ProfileStore(world.paths.profiles_file)
    other = store.add(dataclasses.replace(world.profile, name="shop2", uuid=str(uuid.uuid4())))
    with world.service() as svc:
        _snap, plan = svc.prepare()
        creates = _creates(plan.operations)
        assert creates
        with SyncService.open(other, world.paths) as svc2:
            done, _plan2 = svc2.run()
        assert done.counts.get("failed", 0) == 0, done.failures
        made = state(world)
        summary = svc.apply(plan)
    assert summary.counts.get("failed", 0) == 0, summary.failures
    assert summary.counts.get("relinked", 0) >= len(creates)
    lost, dup, lines = diff(made, state(world))
    assert (lost, dup) == (0, 0), "\n".join(lines[:20])


def test_payment_notes_are_not_written_twice_after_the_journal_is_lost(world: World) -> None:
    from desktop_sync.connectors.bitrix24 import Bitrix24Client
    from desktop_sync.engine.planner import INVOICE

    _full_sync(world)
    with world.service() as svc:
        link = svc.journal.links(INVOICE)[0]
        inv = svc.onec.invoice(link.onec_ref or "")
    assert inv is not None and link.crm_id
    world.story.payment([(link.onec_ref or "", inv.total / 2)], "4242", 18)
    _full_sync(world)

    def notes() -> int:
        with Bitrix24Client(world.crm.webhook, throttle=False) as c:
            return noted(c.timeline.comment_texts(int(link.crm_id or 0)), "4242")

    assert notes() == 1
    journal: Path = world.paths.journal_path()
    for extra in ("", "-wal", "-shm"):
        Path(f"{journal}{extra}").unlink(missing_ok=True)
    _full_sync(world)  # relinks the invoice, then F3 finds the note by its key
    assert notes() == 1
