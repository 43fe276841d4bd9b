"""Pure-engine throughput: matcher and planner on synthetic snapshots, journal writes.

The snapshot is synthesized (no sandbox can hold 100 000 records quickly): 15 %
1C counterparties, 15 % CRM companies, 15 % 1C products, 15 % CRM products, 20 %
1C invoices with two lines, 20 % CRM invoices in the "send" stage. Half of the
counterparties and products are already linked (with their last synced values,
so they plan nothing unless they changed); the other half must be matched by
ИНН+КПП or by the 1C GUID in ``xmlId``; 1 % of the linked ones were renamed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

from benchmarks.common import Row, Timer
from desktop_sync.connectors.bitrix24.models import CrmCompany, CrmInvoice, CrmProduct
from desktop_sync.domain.entities import (
    Counterparty,
    CounterpartyKind,
    Invoice,
    Product,
    Requisite,
    Unit,
    make_line,
)
from desktop_sync.domain.requisites import make_inn
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.matcher import match_counterparties, match_products
from desktop_sync.engine.planner import COUNTERPARTY, PRODUCT, Links, PlanSettings, build_plan
from desktop_sync.engine.snapshot import CrmData, OnecData, Snapshot
from desktop_sync.journal import Journal, LinkValues, LinkWrite, OpState, RunOutcome
from desktop_sync.journal.db import sqlite_url

NS = uuid.UUID("0f6b6f4e-3d1c-4b7a-9c55-1b2d3e4f5a6b")
PROFILE = "00000000-0000-4000-8000-000000000001"
WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
UNIT = Unit("796", "шт")


def _ref(kind: str, n: int) -> str:
    return str(uuid.uuid5(NS, f"{kind}/{n}"))


def synth(total: int) -> tuple[Snapshot, Links, int]:
    """-> (snapshot, links, entities)."""
    n_cp = n_p = total * 15 // 100
    n_inv = total * 20 // 100
    onec, crm = OnecData(organization_ref=_ref("org", 0)), CrmData()
    cp_links: list[LinkValues] = []
    p_links: list[LinkValues] = []
    for i in range(n_cp):
        ref = _ref("cp", i)
        inn = make_inn(f"{770000000 + i:09d}")
        kpp = f"77{i % 100:02d}01001"
        cp = Counterparty(
            f"ООО «Клиент {i}»", CounterpartyKind.ORGANIZATION, inn, kpp, onec_ref=ref
        )
        onec.counterparties[ref] = cp
        name = cp.name if i % 100 else f"ООО «Клиент {i}» (переименован)"
        co = CrmCompany(
            Counterparty(
                name,
                CounterpartyKind.ORGANIZATION,
                crm_id=i + 1,
                requisites=(Requisite(inn, kpp, crm_id=i + 1),),
            ),
            originator_id=None,
            origin_id=None,
            is_my_company=False,
            assigned_by=1,
            modified=WHEN,
        )
        crm.companies[i + 1] = co
        if i % 2 == 0:
            cp_links.append(
                LinkValues(
                    COUNTERPARTY,
                    ref,
                    f"{i + 1}/{i + 1}",
                    nz.counterparty_values(cp),
                    nz.counterparty_values(cp),
                )
            )
    for i in range(n_p):
        ref = _ref("p", i)
        p = Product(
            f"Товар {i}",
            article=f"A-{i}",
            unit=UNIT,
            vat_rate=VatRate.VAT22,
            price=Decimal("100.00"),
            onec_ref=ref,
        )
        onec.products[ref] = p
        name = p.name if i % 100 else f"Товар {i} (новое имя)"
        crm.products[i + 1] = CrmProduct(
            Product(name, article=f"A-{i}", unit=UNIT, vat_rate=VatRate.VAT22, crm_id=i + 1),
            xml_id=ref,
            iblock_id=1,
            active=True,
            modified=WHEN,
        )
        if i % 2 == 0:
            p_links.append(
                LinkValues(PRODUCT, ref, str(i + 1), nz.product_values(p), nz.product_values(p))
            )
    for i in range(n_inv):
        ref = _ref("inv", i)
        lines = tuple(
            make_line(
                k + 1,
                f"Товар {(i + k) % n_p}",
                Decimal(2),
                Decimal("100.00"),
                VatRate.VAT22,
                product_ref=_ref("p", (i + k) % n_p),
            )
            for k in range(2)
        )
        onec.invoices[ref] = Invoice(
            f"СЧ-{i:06d}",
            dt.date(2026, 1, 1 + i % 28),
            _ref("cp", i % n_cp),
            lines,
            onec_ref=ref,
            posted=True,
        )
    for i in range(n_inv):
        lines = tuple(
            make_line(
                k + 1,
                f"Товар {(i + k) % n_p}",
                Decimal(1),
                Decimal("100.00"),
                VatRate.VAT22,
                product_crm_id=(i + k) % n_p + 1,
            )
            for k in range(2)
        )
        inv = Invoice(
            f"{i}",
            dt.date(2026, 1, 1 + i % 28),
            None,
            lines,
            crm_id=i + 1,
            counterparty_crm_id=i % n_cp + 1,
            stage="DT31_1:S",
        )
        crm.invoices[i + 1] = CrmInvoice(
            inv,
            xml_id=None,
            stage_id="DT31_1:S",
            category_id=1,
            company_id=i % n_cp + 1,
            contact_id=None,
            mycompany_id=None,
            opportunity=Decimal("200.00"),
            tax_value=Decimal("36.07"),
            manual_opportunity=False,
            created=WHEN,
            updated=WHEN,
            assigned_by=1,
        )
    crm.stages = {"DT31_1:N": "New", "DT31_1:S": "Sent", "DT31_1:P": "Paid"}
    links = Links({COUNTERPARTY: cp_links, PRODUCT: p_links})
    return Snapshot(onec=onec, crm=crm, full=True), links, 2 * n_cp + 2 * n_p + 2 * n_inv


def planner_rows(sizes: tuple[int, ...]) -> list[Row]:
    out: list[Row] = []
    for total in sizes:
        snap, links, entities = synth(total)
        timer = Timer()
        m1 = match_counterparties(
            snap.onec.counterparties, snap.crm.companies, links.of(COUNTERPARTY)
        )
        m2 = match_products(snap.onec.products, snap.crm.products, links.of(PRODUCT))
        matched = timer.stop().wall
        n_match = (
            len(snap.onec.counterparties)
            + len(snap.crm.companies)
            + len(snap.onec.products)
            + len(snap.crm.products)
        )
        out.append(
            Row(
                "Engine (pure, synthetic snapshot)",
                f"matcher: {n_match:,} records",
                n_match / matched,
                "rec/s",
                note=f"{matched:.2f} s; {len(m1.pairs) + len(m2.pairs):,} pairs",
                wall_s=timer.wall,
                cpu_s=timer.cpu,
            )
        )
        settings = PlanSettings(PROFILE, send_stage="DT31_1:S")
        timer = Timer()
        plan = build_plan(snap, links, settings)
        planned = timer.stop().wall
        out.append(
            Row(
                "Engine (pure, synthetic snapshot)",
                f"planner: {entities:,} entities",
                entities / planned,
                "ent/s",
                note=f"{planned:.2f} s, {timer.cpu:.2f} s CPU (goal at 100,000: ≤ 2 s CPU); "
                f"{len(plan.operations):,} operations, {len(plan.items):,} items",
                wall_s=timer.wall,
                cpu_s=timer.cpu,
            )
        )
    return out


def journal_rows(count: int) -> list[Row]:
    """Operations journalled as the executor does, 50 to a batch: the batch's "sending" rows
    in one transaction (one bulk insert), then its settlements (applied + link) in another.
    The line before it is the earlier way, one transaction per step, for comparison."""
    out: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="ds-bench-journal-") as tmp:
        journal = Journal.open(sqlite_url(Path(tmp) / "journal.sqlite3"), PROFILE)
        try:
            run_id = journal.start_run("apply", trigger="bench")
            single = min(count, 1_000)
            with Timer() as one:
                for i in range(single):
                    op = journal.add_operation(run_id, **_op_fields(i))
                    journal.set_operation_state(op, OpState.SENDING)
                    journal.set_operation_state(op, OpState.APPLIED, target_id=str(i + 1))
                    journal.save_link(
                        COUNTERPARTY,
                        _ref("cp", i),
                        str(i + 1),
                        onec_values={"name": f"n{i}"},
                        crm_values={"name": f"n{i}"},
                        run_id=run_id,
                    )
            with Timer() as batched:
                for first in range(single, single + count, 50):
                    numbers = range(first, min(first + 50, single + count))
                    with journal.transaction():
                        ids = journal.add_operations(
                            run_id, [_op_fields(i) for i in numbers], OpState.SENDING
                        )
                    with journal.transaction():
                        journal.settle_applied(
                            [
                                (op, str(i + 1), {"result": {}})
                                for i, op in zip(numbers, ids, strict=True)
                            ]
                        )
                        journal.save_links(
                            [
                                LinkWrite(
                                    COUNTERPARTY,
                                    _ref("cp", i),
                                    str(i + 1),
                                    {"name": f"n{i}"},
                                    {"name": f"n{i}"},
                                )
                                for i in numbers
                            ],
                            run_id=run_id,
                        )
            journal.finish_run(run_id, RunOutcome.DONE, {})
        finally:
            journal.close()
    group = "Journal (SQLite WAL, synchronous=NORMAL)"
    out.append(
        Row(
            group,
            f"{single:,} operations, one transaction per step (single calls)",
            single / one.wall,
            "ops/s",
            note=f"{single / one.cpu:,.0f} ops per CPU second; 4 commits an operation",
            wall_s=one.wall,
            cpu_s=one.cpu,
        )
    )
    out.append(
        Row(
            group,
            f"{count:,} operations, 50 to a batch, as the executor journals them",
            count / batched.wall,
            "ops/s",
            note=f"{count / batched.cpu:,.0f} ops per CPU second (goal ≥ 3,000); "
            "2 commits a batch: sending, then the settlements",
            wall_s=batched.wall,
            cpu_s=batched.cpu,
        )
    )
    return out


def _op_fields(i: int) -> dict[str, object]:
    return {
        "flow": "F7",
        "kind": "create",
        "target_system": "crm",
        "entity_type": COUNTERPARTY,
        "source_id": _ref("cp", i),
        "target_id": "",
        "idempotency_key": f"k{i}",
        "reason": "bench",
        "before": {"changes": {}},
        "after": {"changes": {"name": f"n{i}"}, "source_id": _ref("cp", i)},
    }
