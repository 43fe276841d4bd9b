"""UT 11: a counterparty joining its partner's CRM company is one ``crm.requisite.add``;
such requisites travel 50 to a batch request, each journalled and settled on its own,
and a lost batch answer is settled by each requisite's key (``XML_ID``), never added
twice (issue 18)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.domain.requisites import make_inn
from desktop_sync.engine.model import Flow, Operation
from desktop_sync.engine.ops import CounterpartyCreate
from desktop_sync.engine.write_crm import CrmWriter
from desktop_sync.sandbox.bitrix24.faults import FaultPlan
from desktop_sync.sandbox.onec import ut11

from .conftest import World, make_world

F7 = (Flow.F7,)


@pytest.fixture
def ut_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(tmp_path, monkeypatch, configuration="ut11")


def _add_joiners(world: World, per_partner: int = 2, partners: int = 4) -> list[str]:
    """New legal entities of the partners of counterparties that buy (``partners`` of
    them, ``per_partner`` each), each buying too (a copy of one of the head's orders,
    unposted): their 1C keys."""
    sb = world.onec
    heads: list[str] = []
    for order in sb.store.all(ut11.ORDERS):
        head = sb.store.get(ut11.COUNTERPARTIES, order["Контрагент_Key"])
        buys = head and head.get("Партнер_Key") and head.get("ИНН") and not head["DeletionMark"]
        if head and buys and head["Ref_Key"] not in heads:
            heads.append(head["Ref_Key"])
    new: list[str] = []
    for h, head_ref in enumerate(heads[:partners]):
        head = sb.store.get(ut11.COUNTERPARTIES, head_ref)
        assert head is not None
        order = next(r for r in sb.store.all(ut11.ORDERS) if r["Контрагент_Key"] == head_ref)
        for n in range(per_partner):
            name = f"ООО «Филиал {h}-{n}»"
            cp = sb.add(
                ut11.COUNTERPARTIES,
                Ref_Key=str(uuid.uuid5(uuid.NAMESPACE_URL, name)),  # the same in every world
                Description=name,
                НаименованиеПолное=name,
                Партнер_Key=head["Партнер_Key"],
                ЮрФизЛицо="ЮрЛицо",
                ЮридическоеФизическоеЛицо="ЮридическоеЛицо",
                ИНН=make_inn(f"77{h:03d}{n:04d}"),
                КПП="770801001",
            )
            values = {
                k: v for k, v in order.items() if k not in ("Ref_Key", "DataVersion", "Number")
            }
            values.update(Контрагент_Key=cp["Ref_Key"], Posted=False)
            values["Ref_Key"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"order {name}"))
            sb.add(ut11.ORDERS, **values)
            new.append(str(cp["Ref_Key"]))
    return new


def _joining(ops: tuple[Operation, ...]) -> list[Operation]:
    return [op for op in ops if getattr(op.payload, "joins", False)]


def _requisites(world: World) -> dict[str, tuple[str, str, str]]:
    """The CRM's requisites with a 1C key: XML_ID -> (its company's 1C key or title,
    its name, its ИНН); and each key once."""
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        rows = [r for r in c.companies.requisite_rows() if r.get("XML_ID")]
        companies = {int(r["ID"]): r for r in c.companies.company_rows()}
    keys = [str(r["XML_ID"]) for r in rows]
    assert len(keys) == len(set(keys)), "a requisite added twice"
    out = {}
    for r in rows:
        owner = companies[int(r["ENTITY_ID"])]
        company = str(owner.get("ORIGIN_ID") or owner["TITLE"])
        out[str(r["XML_ID"])] = (company, str(r.get("RQ_COMPANY_NAME")), str(r["RQ_INN"]))
    return out


def _linked(world: World, refs: list[str]) -> dict[str, str]:
    """Each counterparty's link: "company/requisite" as the CRM holds them."""
    with world.service() as svc:
        links = {ref: svc.journal.link("counterparty", onec_ref=ref) for ref in refs}
    return {ref: link.crm_id for ref, link in links.items() if link is not None and link.crm_id}


def _check_links(world: World, refs: list[str]) -> None:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        rows = {str(r["XML_ID"]): r for r in c.companies.requisite_rows() if r.get("XML_ID")}
    linked = _linked(world, refs)
    assert set(linked) == set(refs)
    for ref in refs:
        row = rows[ref]
        assert linked[ref] == f"{row['ENTITY_ID']}/{row['ID']}"


def _one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer as it was: a joining counterparty written alone."""
    batch_size = CrmWriter.batch_size

    def alone(self: CrmWriter, op: Operation) -> int:
        return 1 if getattr(op.payload, "joins", False) else batch_size(self, op)

    monkeypatch.setattr(CrmWriter, "batch_size", alone)


def test_joining_requisites_travel_in_one_batch_and_make_what_one_at_a_time_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ut_world: World
) -> None:
    world = ut_world
    joiners = _add_joiners(world)
    with world.service() as svc:
        _snap, plan = svc.prepare(flows=F7)
        joining = _joining(plan.operations)
        assert len(joining) >= len(joiners) - 4  # the first of a partner's may make its company
        # some join a company the CRM has, some one made in the same run
        assert any(op.payload.company_id for op in joining)  # type: ignore[union-attr]
        assert any(op.payload.company_of for op in joining)  # type: ignore[union-attr]
        world.crm.stats.reset()
        summary = svc.apply(plan)
    assert summary.counts["failed"] == 0, summary.failures
    stats = world.crm.stats
    # at most one goes alone (one waiting for a company its fellows did not wait for):
    # one request either way
    assert stats.calls["crm.requisite.add"] <= 1, stats.calls
    with_inn = [
        op
        for op in plan.operations
        if isinstance(op.payload, CounterpartyCreate) and op.payload.counterparty.inn
    ]
    added = stats.subcalls["crm.requisite.add"] + stats.calls["crm.requisite.add"]
    assert added == len(with_inn)  # each once
    requests = stats.requests
    got = _requisites(world)
    _check_links(world, [op.source_id for op in with_inn])
    with world.service() as svc:
        _s, again = svc.prepare(flows=F7)
    assert again.operations == (), [op.reason for op in again.operations]

    # The same world written the old way: the same companies, requisites and links.
    _one_at_a_time(monkeypatch)
    gen = make_world(tmp_path / "alone", monkeypatch, configuration="ut11")
    old = next(gen)
    try:
        assert _add_joiners(old) == joiners  # the sandbox's keys are seeded
        with old.service() as svc:
            _snap, plan = svc.prepare(flows=F7)
            old.crm.stats.reset()
            summary = svc.apply(plan)
        assert summary.counts["failed"] == 0, summary.failures
        alone = old.crm.stats.calls["crm.requisite.add"]
        assert alone == len(joining)
        # the joining requisites: three requests at most (those joining a company the
        # CRM has, those joining one made in this run), not one request each
        assert requests <= old.crm.stats.requests - alone + 3, (requests, old.crm.stats.calls)
        assert _requisites(old) == got
        _check_links(old, joiners)  # each link names its company and its requisite
    finally:
        gen.close()


def test_a_lost_batch_of_requisites_is_settled_by_their_keys(ut_world: World) -> None:
    """The portal adds the batch's requisites and the answer is lost: each is found by its
    1C key (XML_ID) and relinked; none is added twice, and the next run writes nothing."""
    world = ut_world
    world.sync(flows=F7)  # the partners' companies are in the CRM
    joiners = _add_joiners(world)
    with world.service() as svc:
        _snap, plan = svc.prepare(flows=F7)
        assert {op.source_id for op in _joining(plan.operations)} == set(joiners)
        world.crm.portal.faults = FaultPlan("drop:1@crm.requisite.add", 1)
        world.crm.stats.reset()
        summary = svc.apply(plan)
    world.crm.portal.faults = FaultPlan("", 1)
    stats = world.crm.stats
    assert stats.faults["drop"] == 1  # one batch carried them all
    assert stats.calls["crm.requisite.add"] == 0
    assert stats.subcalls["crm.requisite.add"] == len(joiners)  # each once
    assert summary.counts["failed"] == 0, summary.failures
    assert summary.counts["relinked"] == len(joiners)
    assert set(joiners) <= set(_requisites(world))  # each key once
    _check_links(world, joiners)
    stats.reset()
    _summary, again = world.sync(flows=F7)
    assert again.operations == ()
    assert stats.subcalls["crm.requisite.add"] == 0
