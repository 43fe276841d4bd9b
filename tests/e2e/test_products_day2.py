"""F5 on the second day: products after the first full sync, on both configurations.

What the accountant does in 1C (a VAT kind, a unit, a price) must reach the CRM product,
and a sync with nobody touching either system must plan nothing and raise nothing.
Every change is made through the systems' public APIs (1C's OData, Bitrix24's REST),
checked through them, never from the journal alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.onec import OnecClient
from desktop_sync.domain.entities import Product
from desktop_sync.domain.vat import VatRate
from desktop_sync.engine.model import Flow, Operation, OpKind, Plan
from desktop_sync.engine.planner import PRODUCT
from desktop_sync.sandbox.onec import bp30, ut11

from .conftest import World


def _open_items(world: World) -> set[str]:
    with world.service() as svc:
        return {i.dedup_key for i in svc.journal.inbox()}


def _crm_product(world: World, crm_id: int) -> Product:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        return next(p.product for p in c.catalog.products() if p.product.crm_id == crm_id)


def _linked(world: World) -> dict[str, int]:
    """1C product ref → CRM product id, as the journal links them."""
    with world.service() as svc:
        return {
            link.onec_ref: int(link.crm_id)
            for link in svc.journal.links(PRODUCT)
            if link.onec_ref and link.crm_id and link.crm_id.isdigit()
        }


def _onec_products(world: World) -> dict[str, Product]:
    with world.story.client() as c:
        return {p.onec_ref: p for p in c.products() if p.onec_ref}


def _f5(plan: Plan) -> list[Operation]:
    return [op for op in plan.operations if op.flow is Flow.F5]


def _first_sync(world: World) -> None:
    with world.service() as svc:
        summary, _plan = svc.run()
    assert summary.counts["failed"] == 0, summary.failures


def _quiet(world: World, *, full: bool = False) -> None:
    """A sync with nobody touching either system: 0 planned, no item added."""
    before = _open_items(world)
    with world.service() as svc:
        summary, plan = svc.run(full=full)
    assert [op.reason for op in plan.operations] == []
    assert [i.key for i in plan.conflicts] == []
    assert [i.key for i in plan.items if i.key not in before] == []  # nothing new
    assert _open_items(world) <= before
    assert summary.counts["failed"] == 0, summary.failures


def _a_goods_product(world: World, linked: dict[str, int]) -> tuple[str, int, Product]:
    """A linked goods product (no characteristics) and its CRM id."""
    products = _onec_products(world)
    ref = next(
        r
        for r in sorted(linked)
        if r in products
        and products[r].kind.value == "goods"
        and not products[r].characteristics
        and not products[r].packages
        and products[r].vat_rate is not VatRate.VAT10
        and products[r].price is not None
    )
    return ref, linked[ref], products[ref]


def test_second_sync_after_the_first_plans_nothing_and_raises_nothing(world: World) -> None:
    _first_sync(world)
    # The CRM catalog holds no article: the first sync's links must not compare one.
    assert _linked(world)
    _quiet(world)
    _quiet(world, full=True)


def _set_vat_reduced(world: World, ref: str) -> None:
    """The accountant sets the product's VAT to the reduced 10 % (BP: ВидСтавкиНДС =
    «Льготная»; UT: СтавкаНДС_Key = the catalog's 10 % rate)."""
    with world.story.client() as c:
        c.connect()
        if world.configuration == "bp30":
            c.update(bp30.PRODUCTS, ref, {"ВидСтавкиНДС": "Льготная"})
            return
        assert isinstance(c, OnecClient)
        rates = c.vat_rates()  # type: ignore[attr-defined]
        reduced = next(k for k, r in rates.items() if r is VatRate.VAT10)
        c.update(ut11.PRODUCTS, ref, {"СтавкаНДС_Key": reduced})


def test_vat_change_in_1c_reaches_the_crm_product(world: World) -> None:
    _first_sync(world)
    ref, crm_id, _p = _a_goods_product(world, _linked(world))
    _set_vat_reduced(world, ref)
    with world.service() as svc:
        summary, plan = svc.run()
    (op,) = [op for op in _f5(plan) if op.source_id == ref]
    assert op.kind is OpKind.UPDATE
    assert summary.counts["failed"] == 0, summary.failures
    assert _crm_product(world, crm_id).vat_rate is VatRate.VAT10
    _quiet(world)


def test_unit_change_in_1c_reaches_the_crm_product(world: World) -> None:
    _first_sync(world)
    ref, crm_id, p = _a_goods_product(world, _linked(world))
    with Bitrix24Client(world.crm.webhook, throttle=False) as crm:
        crm_units = {u.okei for u in crm.catalog.measures()}
    with world.story.client() as c:
        c.connect()
        other = next(
            u
            for u in c.units()
            if p.unit is not None and u.okei != p.unit.okei and u.okei in crm_units
        )
        c.update(world.story.products, ref, {"ЕдиницаИзмерения_Key": other.onec_ref})
    with world.service() as svc:
        summary, plan = svc.run()
    assert [op.kind for op in _f5(plan) if op.source_id == ref] == [OpKind.UPDATE]
    assert summary.counts["failed"] == 0, summary.failures
    unit = _crm_product(world, crm_id).unit
    assert unit is not None and unit.okei == other.okei
    _quiet(world)


PRICE_SETTING = "Document_УстановкаЦенНоменклатуры"


def set_base_price(world: World, ref: str, price: Decimal) -> None:
    """The accountant sets a new base price as 1C users do: a price-setting document
    (УстановкаЦенНоменклатуры), written and posted over OData, dated a moment ago."""
    with world.story.client() as c:
        c.connect()
        base = next(t for t in c.price_types() if t.base).onec_ref
        when = (dt.datetime.now(c.tz) - dt.timedelta(seconds=1)).replace(tzinfo=None, microsecond=0)
        row = {"LineNumber": 1, "Номенклатура_Key": ref, "Цена": price}
        if world.configuration == "bp30":
            body = {"Date": when.isoformat(), "ТипЦен_Key": base, "Товары": [row]}
        else:
            body = {
                "Date": when.isoformat(),
                "Статус": "Согласован",
                "ВидыЦен": [{"LineNumber": 1, "ВидЦены_Key": base}],
                "Товары": [{**row, "ВидЦены_Key": base}],
            }
        made = c.create(PRICE_SETTING, body)
        c.post(PRICE_SETTING, made.ref)
        assert c.prices()[ref] == price


@pytest.mark.usefixtures("payloads_kept")
def test_price_change_in_1c_reaches_the_crm_base_price(world: World) -> None:
    _first_sync(world)
    ref, crm_id, p = _a_goods_product(world, _linked(world))
    assert _crm_product(world, crm_id).price == p.price  # the first sync agreed
    new = (p.price or Decimal(0)) + Decimal("100.01")
    set_base_price(world, ref, new)
    with world.service() as svc:
        summary, plan = svc.run()
    (op,) = [op for op in _f5(plan) if op.source_id == ref]
    assert op.kind is OpKind.UPDATE and "price" in op.payload.values
    assert summary.counts["failed"] == 0, summary.failures
    assert _crm_product(world, crm_id).price == new
    _quiet(world)


def test_every_linked_product_agrees_after_the_first_sync(world: World) -> None:
    """Name, unit, VAT and base price of each linked pair, read from both systems."""
    _first_sync(world)
    onec = _onec_products(world)
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        crm = {p.product.crm_id: p.product for p in c.catalog.products()}
    differ = []
    for ref, crm_id in _linked(world).items():
        a, b = onec[ref], crm[crm_id]
        for name, x, y in (
            ("name", a.name, b.name),
            ("unit", a.unit.okei if a.unit else "", b.unit.okei if b.unit else ""),
            ("vat", a.vat_rate, b.vat_rate),
            ("price", a.price, b.price if a.price is not None else None),
        ):
            if x != y:
                differ.append((a.name, name, x, y))
    assert differ == []


def test_changed_in_crm_product_is_one_conflict_not_an_article(world: World) -> None:
    _first_sync(world)
    ref, crm_id, _p = _a_goods_product(world, _linked(world))
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        c.catalog.update_product(crm_id, {"name": "Переименовано в CRM"})
    with world.service() as svc:
        _s, plan = svc.run()
    # one conflict, about the name: no article, nothing else
    assert [(i.record_id, i.field) for i in plan.conflicts if i.flow is Flow.F5] == [(ref, "Name")]


def test_a_crm_product_of_the_same_name_waits_for_a_person(world: World) -> None:
    """1C sells a product whose name an unlinked CRM product has: no second product of
    that name is made in the CRM until a person says whether they are the same."""

    def names() -> list[str]:
        with Bitrix24Client(world.crm.webhook, throttle=False) as c:
            return sorted(p.product.name for p in c.catalog.products())

    before = names()
    with world.service() as svc:
        summary, plan = svc.run()
    assert summary.counts["failed"] == 0, summary.failures
    waiting = [i for i in plan.items if i.key.startswith("F5:name:")]
    assert waiting and all(b.startswith("F5:create_crm:") for i in waiting for b in i.blocks)
    after = names()
    assert all(after.count(str(i.crm_value)) == before.count(str(i.crm_value)) for i in waiting)
    _quiet(world)  # the same items, nothing new, on the second day
    same, other = waiting[0], waiting[-1]
    with world.service() as svc:
        keys = {i.dedup_key: i.id for i in svc.journal.inbox()}
        svc.resolve(keys[same.key], "confirm")
        if other is not same:
            svc.resolve(keys[other.key], "skip")
        summary, plan = svc.run()
    assert summary.counts["failed"] == 0, summary.failures
    ref = same.key.split(":", 3)[3]
    assert [(op.kind, op.target_id) for op in _f5(plan) if op.source_id == ref][:1] == [
        (OpKind.LINK, same.record_id)
    ]
    if other is not same:
        other_ref = other.key.split(":", 3)[3]
        assert [op.kind for op in _f5(plan) if op.source_id == other_ref] == [OpKind.CREATE]
    _quiet(world)


def test_the_window_shows_linked_products_in_step_after_the_first_sync(world: World) -> None:
    """The product table compares what F5 keeps equal: no «Article» difference for every
    linked product (the CRM catalog has none), the base price shown beside."""
    from desktop_sync.readmodel import SyncState, build_views

    _first_sync(world)
    with world.service() as svc:
        snap, plan = svc.prepare()
        links = {PRODUCT: svc.journal.links(PRODUCT)}
    table = build_views(snap, links, plan).products
    linked = {f"p:{ref}" for ref in _linked(world)}
    rows = [r for r in table.rows if r.key in linked]
    assert rows and "price" in [c.key for c in table.columns]
    assert [(r.key, r.differs) for r in rows if r.state is not SyncState.IN_SYNC] == []


def test_a_product_with_a_unit_the_crm_lacks_is_refused_not_defaulted(world: World) -> None:
    """Created with no unit, the CRM product would differ from 1C for ever (the next run
    saw a CRM change); refused with the reason instead, counted as failed, and skipping it
    keeps it out."""
    from .test_inbox_decisions import _unit_the_crm_lacks

    with world.service() as svc:
        _snap, plan = svc.prepare()
    create = next(op for op in _f5(plan) if op.kind is OpKind.CREATE)
    _unit_the_crm_lacks(world, create.source_id)
    with world.service() as svc:
        summary, plan = svc.run()
        assert summary.counts["failed"] == 1, summary.failures
        (item,) = [i for i in svc.journal.inbox() if ":refused:" in i.dedup_key]
        assert item.field == "Unit" and "055" in item.message
        assert svc.journal.link(PRODUCT, onec_ref=create.source_id) is None
        svc.resolve(item.id, "skip")
    _quiet(world)


def test_a_service_is_updated_through_the_services_method(world: World) -> None:
    """A service renamed in 1C: the CRM service is updated as it was made
    (catalog.product.service.update), its new name read back."""
    _first_sync(world)
    products = _onec_products(world)
    ref, crm_id = next(
        (r, c) for r, c in sorted(_linked(world).items()) if products[r].kind.value == "service"
    )
    with world.story.client() as c:
        c.connect()
        c.update(world.story.products, ref, {"Description": "Услуга (новое имя)"})
    world.crm.stats.reset()
    with world.service() as svc:
        summary, _plan = svc.run()
    assert summary.counts["failed"] == 0, summary.failures
    sent = world.crm.stats.calls + world.crm.stats.subcalls  # updates travel in batches
    assert sent["catalog.product.service.update"] == 1
    assert sent["catalog.product.update"] == 0
    assert _crm_product(world, crm_id).name == "Услуга (новое имя)"
    _quiet(world)
