"""A 1C product whose name is emptied (issue 16, item 8): one attention item naming the
product by its article, in the user's words; nothing sent, nothing counted as failed,
no new item on the next run, and the name reaches the CRM once 1C has it again."""

from __future__ import annotations

from desktop_sync.engine.model import Flow
from desktop_sync.sandbox.onec import bp30, ut11

from .conftest import World
from .test_products_day2 import _a_goods_product, _crm_product, _first_sync, _linked, _quiet


def _rename(world: World, ref: str, name: str) -> None:
    with world.story.client() as c:
        c.connect()
        products = bp30.PRODUCTS if world.configuration == "bp30" else ut11.PRODUCTS
        c.update(products, ref, {"Description": name})


def test_a_product_emptied_in_1c_waits_named_by_its_article(world: World) -> None:
    _first_sync(world)
    ref, crm_id, product = _a_goods_product(world, _linked(world))
    before = _crm_product(world, crm_id).name
    _rename(world, ref, "   ")
    _summary, plan = world.sync("ru")
    assert [op.op_id for op in plan.operations if op.flow is Flow.F5] == []
    (item,) = [i for i in plan.items if i.key == f"F5:noname:{ref}"]
    assert item.record_label == f"товар без наименования (артикул {product.article})"
    assert item.field == "Наименование" and "не заполнено" in item.message
    assert _crm_product(world, crm_id).name == before  # nothing sent
    _quiet(world)  # the next run: the same item, nothing new, nothing planned
    # the accountant names it again: it reaches the CRM and the item closes
    _rename(world, ref, "Бумага «Снегурочка» A4")
    with world.service() as svc:
        summary, _plan = svc.run(full=True)
        assert f"F5:noname:{ref}" not in {i.dedup_key for i in svc.journal.inbox()}
    assert summary.counts["failed"] == 0
    assert _crm_product(world, crm_id).name == "Бумага «Снегурочка» A4"
