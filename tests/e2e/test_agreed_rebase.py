"""Both systems reach the same value outside a settled write (a run killed after the CRM
took an update but before the journal settled it): the link's base takes the agreed
value, so the next change in 1C is 1C's change, not a conflict. Found by the
day-after-day simulation (seed 1, day 9: a base price never reached the CRM again)."""

from __future__ import annotations

import time
from decimal import Decimal

from desktop_sync.connectors.bitrix24 import Bitrix24Client

from .conftest import World
from .test_products_day2 import (
    _a_goods_product,
    _crm_product,
    _first_sync,
    _linked,
    _quiet,
    set_base_price,
)


def test_a_value_both_sides_reached_becomes_the_base(world: World) -> None:
    _first_sync(world)
    ref, crm_id, p = _a_goods_product(world, _linked(world))
    agreed = (p.price or Decimal(0)) + Decimal("100.01")
    # the write landed in the CRM, the run died before the journal heard of it
    set_base_price(world, ref, agreed)
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        c.catalog.set_base_price(crm_id, agreed)
    with world.service() as svc:
        summary, plan = svc.run()
    assert [i.key for i in plan.conflicts] == []
    assert summary.counts["failed"] == 0
    _quiet(world)
    # the accountant changes the price again: it is 1C's change and reaches the CRM
    later = agreed + Decimal("1.50")
    time.sleep(1.1)  # 1C keeps one price per product and second: the next document's second
    set_base_price(world, ref, later)
    with world.service() as svc:
        summary, plan = svc.run()
    assert [i.key for i in plan.conflicts] == [], "an agreed value was not taken as the base"
    assert summary.counts["failed"] == 0
    assert _crm_product(world, crm_id).price == later
    _quiet(world)
