"""Inbox decisions converge: whatever the person chooses, the next run carries it out and
the item does not come back; a choice the engine cannot carry out is refused when it is
made, with the reason, and the item stays open. Both configurations, real sandboxes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.decisions import DecisionRefused
from desktop_sync.engine.model import Flow, OpKind
from desktop_sync.engine.planner import PRODUCT
from desktop_sync.journal.models import InboxItem

from .conftest import World, phone_changed_in_1c


def _first_sync(world: World) -> None:
    with world.service() as svc:
        summary, _plan = svc.run()
    assert summary.counts["failed"] == 0, summary.failures


def _a_linked_product(world: World) -> tuple[str, int, str]:
    """(1C ref, CRM id, 1C name) of a linked product without characteristics."""
    with world.story.client() as c:
        products = {p.onec_ref: p for p in c.products()}
    with world.service() as svc:
        links = svc.journal.links(PRODUCT)
    for link in sorted(links, key=lambda lk: lk.onec_ref or ""):
        p = products.get(link.onec_ref or "")
        if p is not None and link.crm_id and not p.characteristics and not p.packages:
            return link.onec_ref or "", int(link.crm_id), p.name
    raise AssertionError("no linked product")


def _crm_name(world: World, crm_id: int) -> str:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        return next(p.product.name for p in c.catalog.products() if p.product.crm_id == crm_id)


def _renamed_in_crm(world: World) -> tuple[str, int, str, InboxItem]:
    """A product renamed by the manager in the CRM: 1C leads products, so a conflict."""
    _first_sync(world)
    ref, crm_id, name = _a_linked_product(world)
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        c.catalog.update_product(crm_id, {"name": "Имя из CRM"})
    with world.service() as svc:
        _s, plan = svc.run()
        assert [(i.record_id, i.field) for i in plan.conflicts if i.flow is Flow.F5] == [
            (ref, "Name")
        ]
        item = next(i for i in svc.journal.inbox() if i.record_id == ref)
    return ref, crm_id, name, item


def _open(world: World) -> set[str]:
    with world.service() as svc:
        return {i.dedup_key for i in svc.journal.inbox()}


def _quiet(world: World) -> None:
    before = _open(world)
    with world.service() as svc:
        summary, plan = svc.run()
    assert [op.reason for op in plan.operations] == []
    assert [i.key for i in plan.items if i.key not in before] == []  # nothing new
    assert _open(world) <= before
    assert summary.counts["failed"] == 0, summary.failures


def test_taking_the_crm_value_of_a_product_is_refused_with_the_reason(world: World) -> None:
    ref, _crm_id, _name, item = _renamed_in_crm(world)
    with world.service() as svc:
        for action, value in (("take_crm", None), ("value", "Третье имя")):
            with pytest.raises(DecisionRefused) as info:
                svc.resolve(item.id, action, value)
            text = str(info.value)
            assert "1C leads products" in text and "Traceback" not in text
        assert item.id in {i.id for i in svc.journal.inbox()}  # still open
        _s, plan = svc.run()
    # nothing was tried on 1C, and the item is the same one, not a new one
    assert [op for op in plan.operations if op.target.value == "onec"] == []
    assert [i.key for i in plan.items if i.record_id == ref] == [item.dedup_key]


def test_taking_the_1c_value_converges(world: World) -> None:
    _ref, crm_id, name, item = _renamed_in_crm(world)
    with world.service() as svc:
        svc.resolve(item.id, "take_onec", by="Бухгалтер")
        summary, plan = svc.run()
    assert [(op.kind, op.target.value) for op in plan.operations] == [(OpKind.UPDATE, "crm")]
    assert summary.counts["failed"] == 0, summary.failures
    assert _crm_name(world, crm_id) == name
    _quiet(world)
    _quiet(world)


def test_skipping_a_conflict_converges(world: World) -> None:
    _ref, crm_id, _name, item = _renamed_in_crm(world)
    with world.service() as svc:
        svc.resolve(item.id, "skip")
    _quiet(world)
    _quiet(world)
    assert _crm_name(world, crm_id) == "Имя из CRM"  # left as it is


def _unit_the_crm_lacks(world: World, ref: str) -> None:
    """The accountant gives the product a unit (м², ОКЕИ 055) the CRM has no measure for."""
    units = world.story.client().profile.set("units")
    like = dict(next(iter(world.onec.store.rows[units].values())))
    for key in ("Ref_Key", "DataVersion"):
        like.pop(key, None)
    made = world.onec.add(units, **{**like, "Code": "055", "Description": "м2"})
    with world.story.client() as c:
        c.connect()
        c.update(world.story.products, ref, {"ЕдиницаИзмерения_Key": made["Ref_Key"]})


def test_a_refused_write_counts_as_failed_and_skipping_it_converges(world: World) -> None:
    _first_sync(world)
    ref, _crm_id, _name = _a_linked_product(world)
    _unit_the_crm_lacks(world, ref)
    with world.service() as svc:
        summary, _plan = svc.run()
        assert summary.counts["failed"] == 1, summary.failures
        (item,) = [i for i in svc.journal.inbox() if ":refused:" in i.dedup_key]
        assert item.field == "Unit" and "055" in item.message
        with pytest.raises(DecisionRefused):
            svc.resolve(item.id, "take_onec")  # nothing to take: fix it, or skip
        svc.resolve(item.id, "skip")
    _quiet(world)
    _quiet(world)


def test_cli_refuses_and_keeps_the_item_open(world: World) -> None:
    _ref, _crm_id, _name, item = _renamed_in_crm(world)
    exe = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
    assert exe
    env = {**os.environ, **world.env(), "DESKTOP_SYNC_LANG": "ru"}
    done = subprocess.run(
        [exe, "inbox", "resolve", str(item.id), "--take", "crm"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "1С ведёт товары" in done.stderr and "Traceback" not in done.stderr
    assert item.dedup_key in _open(world)
    ok = subprocess.run(
        [exe, "inbox", "resolve", str(item.id), "--take", "onec"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert item.dedup_key not in _open(world)


def test_a_change_no_writer_carries_waits_and_is_never_journalled_as_done(
    world: World,
) -> None:
    """A 1C phone change: the CRM company's phone is not written by desktop-sync, so it is
    not planned as an update journalled "applied" that never arrives (after which the
    CRM's old phone looked like a CRM change and was sent back to 1C on every run): one
    attention item, the same every run; skipped, it is gone."""
    _first_sync(world)
    phone_changed_in_1c(world)
    for _day in range(2):
        with world.service() as svc:
            summary, plan = svc.run()
        assert [op.reason for op in plan.operations] == []
        assert summary.counts["failed"] == 0, summary.failures
        (item,) = [i for i in plan.items if ":unwritable:" in i.key]
        assert item.field == "Phone" and item.onec_value == "74951112233"
    with world.service() as svc:
        row = next(i for i in svc.journal.inbox() if i.dedup_key == item.key)
        svc.resolve(row.id, "skip")
    _quiet(world)
