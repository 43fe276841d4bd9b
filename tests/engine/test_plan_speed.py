"""The planner's shortcuts for speed (issue 18) give exactly what the plain library calls
give: create keys and 1C refs, copies of records, dates, money as text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import pickle
import re
import sys
import uuid
from decimal import Decimal

import pytest

from desktop_sync.domain.entities import Invoice, make_line
from desktop_sync.domain.money import NBSP, format_rub, round_money
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.evolve import constructor
from desktop_sync.engine.model import (
    NAMESPACE,
    FieldChange,
    Flow,
    Head,
    Operation,
    OpKind,
    Plan,
    System,
    idempotency_key,
    onec_ref_for,
    operation,
)
from desktop_sync.engine.ops import NO_PAYLOAD, EntityType
from desktop_sync.engine.plan_base import Builder, PlanSettings, day_text, evolve, uuid5_text
from desktop_sync.engine.planner import COUNTERPARTY, INVOICE, Links, build_plan
from desktop_sync.engine.snapshot import CrmData, OnecData, Snapshot
from desktop_sync.journal import LinkValues

PROFILE = "11111111-2222-4333-8444-555555555555"


def test_keys_and_refs_are_the_models() -> None:
    b = Builder(PlanSettings(PROFILE))
    for n in range(300):
        source = f"{n}/ёжик {n}"
        for flow, entity in ((Flow.F1, "invoice"), (Flow.F7, "contract"), (Flow.F6, "store")):
            key = b.key(flow, entity, source)
            assert key == idempotency_key(PROFILE, flow, entity, source)
            assert b.new_ref(key) == onec_ref_for(key)
        assert uuid5_text(NAMESPACE.bytes, source) == str(uuid.uuid5(NAMESPACE, source))


def test_evolve_is_replace() -> None:
    line = make_line(1, "Бумага", Decimal(2), Decimal("10.50"), VatRate.VAT22, product_crm_id=7)
    inv = Invoice("12", dt.date(2026, 3, 2), None, (line,), crm_id=3)
    assert evolve(line, product_ref="p") == dataclasses.replace(line, product_ref="p")
    assert evolve(inv, onec_ref="r", lines=()) == dataclasses.replace(inv, onec_ref="r", lines=())
    assert evolve(inv) == inv and evolve(inv) is not inv


def test_operations_made_faster_are_the_same() -> None:
    """``model.operation`` makes an ``Operation`` without its ``__init__``: equal, hashed
    alike, pickled alike, every field set."""
    values = ("F1:x:1", Flow.F1, OpKind.CREATE, System.ONEC, EntityType.INVOICE, "1", None)
    values += ("k", "why", "label", (FieldChange("total", "Total", None, 1),), NO_PAYLOAD, ("a",))
    made, plain = constructor(Operation)(*values), Operation(*values)
    assert made == plain and hash(made) == hash(plain) and repr(made) == repr(plain)
    assert pickle.loads(pickle.dumps(made)) == plain
    assert constructor(Operation) is not Operation
    head = Head(Flow.F1, OpKind.CREATE, System.ONEC, EntityType.INVOICE)
    assert operation("F1:x:1", head, ("1", None), "label", "why") == Operation(
        "F1:x:1", *head, "1", None, "", "why", "label"
    )


def test_dates_and_money_as_text() -> None:
    for day in (dt.date(2026, 3, 2), dt.date(1899, 12, 31), dt.date(999, 1, 1), dt.date(1, 1, 1)):
        assert day_text(day) == f"{day:%d.%m.%Y}"
    for text in ("1.005", "-1.005", "2", "2.50", "1E+3", "123456789.125", "-0", "0.004999"):
        assert nz.money_text(Decimal(text)) == str(round_money(Decimal(text)))


def test_planning_leaves_the_garbage_collector_as_it_was() -> None:
    snap = Snapshot(onec=OnecData(), crm=CrmData())
    assert gc.isenabled()
    build_plan(snap, Links(), PlanSettings(PROFILE))
    assert gc.isenabled()
    gc.disable()
    try:
        build_plan(snap, Links(), PlanSettings(PROFILE))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_planning_made_does_not_wait_as_young_objects() -> None:
    """After planning, the plan's objects are in the oldest generation: the first
    allocation after it must not walk them all as young ones (10 % of a plan's CPU)."""
    from benchmarks.engine import synth

    snap, links, _entities = synth(2_000)
    gc.collect()
    plan = build_plan(snap, links, PlanSettings(PROFILE, send_stage="DT31_1:S"))
    first = plan.operations[0]
    assert any(o is first for o in gc.get_objects(generation=2))  # was young: walked again
    assert gc.get_freeze_count() == 0


def test_objects_kept_frozen_stay_frozen() -> None:
    """The window's collector policy keeps objects frozen: planning leaves them so."""
    snap = Snapshot(onec=OnecData(), crm=CrmData())
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        build_plan(snap, Links(), PlanSettings(PROFILE))
        # Planning must not unfreeze (gc.unfreeze would empty the permanent generation);
        # a frozen object left by an earlier test may still be freed when its last
        # reference goes, which lowers the count by one (seen in a full CI run).
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()


def _grouped_by_hand(value: Decimal) -> str:
    """How format_rub grouped the digits before it let the format spec do it."""
    q = round_money(value)
    whole, frac = f"{abs(q):.2f}".split(".")
    groups = []
    while whole:
        groups.append(whole[-3:])
        whole = whole[:-3]
    return f"{'-' if q < 0 else ''}{NBSP.join(reversed(groups))},{frac}{NBSP}₽"


def test_roubles_grouped_as_before() -> None:
    texts = ["0", "-0", "-0.001", "0.005", "-0.005", "999.995", "1E+15", "1000", "-1000.5"]
    values = [Decimal(t) for t in texts]
    values += [Decimal(n * 7919 % 10**k) / 100 * (-1) ** n for n in range(2000) for k in (3, 9)]
    for value in values:
        assert format_rub(value) == _grouped_by_hand(value), value


def test_whitespace_collapsed_as_the_expression_does() -> None:
    spaces = re.compile(r"\s+")
    blanks = [chr(c) for c in range(sys.maxunicode + 1) if spaces.fullmatch(chr(c))]
    assert all(not c.isprintable() for c in blanks if c != " ")  # what the shortcut needs
    parts = ["a", "Б", "«", "1", "\u200b", *blanks]
    texts = ["", " ", "ООО «Ромашка»", " ООО  «Ромашка» ", "\xa0x", "x\t", "x \ny"]
    texts += [a + b + c for a in parts for b in parts[:8] for c in (" ", "x", "  ")]
    for value in texts:
        assert nz.text.__wrapped__(value) == spaces.sub(" ", value).strip(), repr(value)


def _digest(plan: Plan) -> str:
    text = "\n".join(map(repr, (*plan.operations, *plan.items)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_the_plan_of_a_fixed_snapshot_is_the_one_planned_before() -> None:
    """The speed work changes no plan: every operation (its id, key, reason, payload,
    dependencies) and item, in the same order, as ca3fbfa planned them. A plan changed on
    purpose updates these digests in the same commit, saying why."""
    from benchmarks.engine import synth

    snap, links, _entities = synth(3_000)
    settings = PlanSettings(PROFILE, send_stage="DT31_1:S")
    plan = build_plan(snap, links, settings)
    assert (len(plan.operations), len(plan.items)) == (2_930, 230)
    assert _digest(plan) == "657a13d7f125d547"  # in English, as the tests run
    plan = build_plan(snap, links, dataclasses.replace(settings, invoice_pdf=False))
    assert (len(plan.operations), len(plan.items)) == (2_330, 230)
    assert _digest(plan) == "674cef2c54f76119"


@dataclasses.dataclass(frozen=True)
class _Unslotted:
    a: int
    b: str = "x"


@dataclasses.dataclass(frozen=True, slots=True)
class _Checked:
    a: int
    b: list[int] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        object.__setattr__(self, "b", [*self.b, self.a])


@dataclasses.dataclass(frozen=True, slots=True)
class _Counted:
    a: int
    n: int = dataclasses.field(init=False, default=0)


def test_evolve_falls_back_to_replace_where_init_does_more() -> None:
    for obj, changes in (
        (_Unslotted(1), {"b": "y"}),
        (_Checked(1, [5]), {"a": 2}),
        (_Counted(3), {"a": 4}),
        (_Counted(3), {}),
    ):
        assert evolve(obj, **changes) == dataclasses.replace(obj, **changes)
    assert constructor(_Checked) is _Checked and constructor(_Counted) is _Counted
    assert constructor(_Unslotted) is _Unslotted
    with pytest.raises(ValueError, match="init=False"):
        evolve(_Counted(3), n=1)
    with pytest.raises(TypeError):
        evolve(_Counted(3), zz=1)


def test_links_found_by_either_side_as_the_first_of_them() -> None:
    first = LinkValues(INVOICE, "r1", "7", {"a": 1}, {})
    links = Links(
        {
            INVOICE: [
                first,
                LinkValues(INVOICE, "r1", "8", {}, {}),
                LinkValues(INVOICE, None, "7", {}, {}),
            ]
        }
    )
    assert links.onec(INVOICE, "r1") is first and links.crm(INVOICE, "7") is first
    assert links.crm(INVOICE, "8") is links.of(INVOICE)[1]
    assert links.onec(INVOICE, "r9") is None and links.crm(COUNTERPARTY, "7") is None
    assert links == Links(dict(links.by_type))  # the index is not part of the value


def test_namesakes_looked_up_by_name_not_by_scanning_the_catalog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A product created in the CRM asks whether an unlinked CRM product has its name, and
    a CRM row of an unlinked product whether a 1C product has its: each name is compared
    once a plan, not the whole other catalog again for each (quadratic: the medium first
    sync's 782 creates scanned the CRM catalog 782 times)."""
    from desktop_sync.crm.types import CrmProduct
    from desktop_sync.domain.entities import Product
    from desktop_sync.engine.plan_products import Products

    n = 200
    onec = {f"r{i}": Product(f"Товар 1С {i}", onec_ref=f"r{i}") for i in range(n)}
    crm = {
        i + 1: CrmProduct(Product(f"Товар CRM {i}", crm_id=i + 1), None, 1, True, None)
        for i in range(n)
    }
    onec["twin"] = Product("Товар CRM 7", onec_ref="twin")  # one namesake each way
    crm[n + 1] = CrmProduct(Product("Товар 1С 5", crm_id=n + 1), None, 1, True, None)
    b = Builder(PlanSettings(PROFILE))
    products = Products(b, Snapshot(OnecData(products=onec), CrmData(products=crm)), Links())
    asked = _texts_normalised(monkeypatch)
    for ref in onec:
        products.create_in_crm(ref, "sold")
    found = [products.same_name(pid) for pid in crm]
    assert len(asked) <= 10 * (len(onec) + len(crm))  # before: 2 × 201 × 201 more
    assert found.count(None) == n - 1 and found[7] == "twin" and found[n] == "r5"
    assert set(b.items) == {f"F5:name:{n + 1}:r5", "F5:name:8:twin"}


def test_companies_created_in_1c_look_their_requisites_up_not_scan_1c(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A CRM company about to be created in 1C asks whether 1C holds a counterparty with
    its ИНН and КПП already: 1C's counterparties are indexed once a plan, not compared
    again for each company (quadratic, as the products' namesakes were)."""
    from desktop_sync.crm.types import CrmCompany
    from desktop_sync.domain.entities import Counterparty, CounterpartyKind, Requisite
    from desktop_sync.domain.requisites import make_inn
    from desktop_sync.engine.plan_counterparties import Counterparties

    n = 150
    org = CounterpartyKind.ORGANIZATION
    onec = {
        f"r{i}": Counterparty(
            f"1С {i}", org, make_inn(f"{500000000 + i}"), "770101001", onec_ref=f"r{i}"
        )
        for i in range(n)
    }
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    crm = {
        i + 1: CrmCompany(
            Counterparty(
                f"CRM {i}",
                org,
                crm_id=i + 1,
                requisites=(Requisite(make_inn(f"{600000000 + i}"), "770101001", crm_id=i + 1),),
            ),
            None,
            None,
            False,
            1,
            when,
        )
        for i in range(n)
    }
    b = Builder(PlanSettings(PROFILE))
    cps = Counterparties(
        b, Snapshot(OnecData(counterparties=onec), CrmData(companies=crm)), Links()
    )
    asked = _texts_normalised(monkeypatch)
    made = [cps.ensure_in_onec(f"{i + 1}/{i + 1}", "sold") for i in range(n)]
    assert len(asked) <= 10 * (len(onec) + len(crm))  # before: 150 × 150 more
    assert all(op and op.startswith("F7:create_onec:") and ref for op, ref in made)
    assert not b.items


def test_shortcuts_of_money_rates_and_requisites_give_what_the_plain_code_gave() -> None:
    """``round_money`` skips the conversion of a finite ``Decimal``; a 1C VAT rate is
    looked up by its name; a CRM requisite's key is made once: the same answers, the
    same refusals."""
    from desktop_sync.domain.money import KOPECK, MoneyError, to_decimal
    from desktop_sync.domain.vat import VatRate
    from desktop_sync.engine.snapshot import CrmRequisite

    class _Sub(Decimal):
        pass

    for value in ("0.005", "-0.005", "1E+3", "-0", "1234.565", 7, "12,5", _Sub("2.675")):
        plain = to_decimal(value).quantize(KOPECK, rounding="ROUND_HALF_UP")
        assert round_money(value) == plain and str(round_money(value)) == str(plain)
    for bad in (Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), True, 1.5):
        with pytest.raises(MoneyError):
            round_money(bad)  # type: ignore[arg-type]
    assert all(VatRate.from_onec(rate.value) is rate for rate in VatRate)
    for name in ("НДС 22", "", "ндс22", None, 22):
        with pytest.raises(ValueError, match="unknown VAT rate"):
            VatRate.from_onec(name)  # type: ignore[arg-type]
    rq = CrmRequisite(4, 9, "7707083893", "770701001")
    assert (rq.key, CrmRequisite(4, None, "", "").key) == ("4/9", "4")
    assert dataclasses.replace(rq, requisite_id=None).key == "4"
    assert pickle.loads(pickle.dumps(rq)).key == "4/9"
    assert rq == CrmRequisite(4, 9, "7707083893", "770701001") and "key" not in repr(rq)


def _texts_normalised(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, each text the planner normalises to compare (``nz.text``)."""
    asked: list[str] = []
    plain = nz.text

    def counted(value: str | None) -> str:
        asked.append(value or "")
        return plain(value)

    monkeypatch.setattr(nz, "text", counted)
    return asked
