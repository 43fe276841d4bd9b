"""The executor's order: single-record updates are held for a batch, never past an
operation that needs one of them or writes the same record."""

from __future__ import annotations

from decimal import Decimal

from desktop_sync.engine.apply_order import Deferred, Pending
from desktop_sync.engine.model import Flow, Operation, OpKind, System
from desktop_sync.engine.ops import (
    CrmPayment,
    EntityType,
    NoPayload,
    NumberBack,
    Payload,
    PaymentState,
)


def _op(
    op_id: str,
    kind: OpKind,
    entity: EntityType,
    target_id: str | None,
    payload: Payload,
    depends: tuple[str, ...] = (),
) -> Operation:
    return Operation(
        op_id, Flow.F3, kind, System.CRM, entity, "ref", target_id, "", "", "",
        payload=payload, depends_on=depends,
    )  # fmt: skip


def _state(crm_id: int) -> Operation:
    return _op(
        f"F3:state:{crm_id}", OpKind.SET_PAYMENT_STATE, EntityType.INVOICE_PAYMENT,
        str(crm_id), PaymentState(crm_id, {"paid": Decimal(1)}),
    )  # fmt: skip


def test_updates_are_held_until_their_batch_is_full() -> None:
    held = Deferred()
    assert Deferred.wanted(_state(1), 50) and not Deferred.wanted(_state(1), 1)
    assert held.add(_state(1), 2) is None
    full = held.add(_state(2), 2)
    assert full is not None and [o.op_id for o in full] == ["F3:state:1", "F3:state:2"]
    assert held.take_all() == []


def test_a_write_of_the_same_invoice_or_a_dependant_lets_them_go_first() -> None:
    held = Deferred()
    held.add(_state(15), 50)
    payment = _op(
        "F3:crm_payment:x", OpKind.CREATE, EntityType.CRM_PAYMENT, None,
        CrmPayment(15, Decimal(10), True),
    )  # fmt: skip
    other = _op(
        "F3:crm_payment:y", OpKind.CREATE, EntityType.CRM_PAYMENT, None,
        CrmPayment(16, Decimal(10), True),
    )  # fmt: skip
    assert held.needed_by(payment)  # the same invoice: its fields are written first
    assert not held.needed_by(other)
    back = _op(
        "F1:number_back:20", OpKind.UPDATE, EntityType.INVOICE_BACK, "20",
        NumberBack("F1:create:20", "20"), depends=("F3:state:15",),
    )  # fmt: skip
    assert held.needed_by(back)  # depends on a held one
    assert [[o.op_id for o in g] for g in held.take_all()] == [["F3:state:15"]]
    assert not held.needed_by(payment)


def test_a_product_of_the_same_id_as_a_held_invoice_does_not_let_them_go() -> None:
    """Invoice 46 and product 46 are different records: the held write-backs stay held
    (they went alone once, a request each, when a product update had the id of one)."""
    held = Deferred()
    held.add(_op("F5:update:46", OpKind.UPDATE, EntityType.PRODUCT, "46", NoPayload()), 25)
    back = _op(
        "F1:number_back:46", OpKind.UPDATE, EntityType.INVOICE_BACK, "46",
        NumberBack("F1:create:46", "46"),
    )  # fmt: skip
    assert not held.needed_by(back)
    held.add(back, 50)
    same = _op("F5:update:46b", OpKind.UPDATE, EntityType.PRODUCT, "46", NoPayload())
    assert held.needed_by(same)  # the same product: still in the plan's order


def test_updates_of_one_kind_fill_batches_of_their_own_size() -> None:
    """A product's price alone is one command (50 to a request), its fields and price two
    (25): held apart, each batch fills to its own size (mixed, the price-only ones were
    25 to a request; a company without a requisite likewise goes 50 to a request)."""
    from desktop_sync.connectors.bitrix24 import Bitrix24Client
    from desktop_sync.domain.entities import Counterparty, CounterpartyKind
    from desktop_sync.engine.ops import CounterpartyCreate, ProductUpdate
    from desktop_sync.engine.write_crm import CrmWriter

    def update(n: int, values: dict[str, object]) -> Operation:
        return _op(
            f"F5:update:{n}", OpKind.UPDATE, EntityType.PRODUCT, str(n),
            ProductUpdate(values, {}, {}),
        )  # fmt: skip

    with Bitrix24Client("http://127.0.0.1:9/rest/1/x/") as client:  # nothing is sent
        writer = CrmWriter(client)
        price, both = update(1, {"price": 2}), update(2, {"name": "Б", "price": 2})
        assert (writer.batch_size(price), writer.batch_size(both)) == (50, 25)
        person = Counterparty("Без ИНН", CounterpartyKind.ORGANIZATION)
        company = _op(
            "F2:create:1", OpKind.CREATE, EntityType.COUNTERPARTY, None,
            CounterpartyCreate(person, {}),
        )  # fmt: skip
        assert writer.batch_size(company) == 50  # no requisite: one command
    held = Deferred()
    for n in range(25):
        assert held.add(update(100 + n, {"price": 1}), 50) is None
        full = held.add(update(200 + n, {"name": "А", "price": 1}), 25)
    assert full is not None and {o.op_id for o in full} == {
        f"F5:update:{200 + n}" for n in range(25)
    }
    groups = held.take_all()
    assert [len(g) for g in groups] == [25]  # the price-only ones, still filling to 50


def _create(n: int, depends: tuple[str, ...] = ()) -> Operation:
    return _op(f"F3:create:{n}", OpKind.CREATE, EntityType.CRM_PAYMENT, None, NoPayload(), depends)


def test_held_updates_fill_a_requests_room_in_order_and_leave_the_rest_held() -> None:
    held = Deferred()
    for n in range(1, 6):
        held.add(_state(n), 50)
    taken = held.take_room(3, lambda _op: 1, System.CRM)
    assert [[o.op_id for o in g] for g in taken] == [["F3:state:1", "F3:state:2", "F3:state:3"]]
    assert held.needed_by(_state(4)) and not held.needed_by(_state(1))  # only the rest held
    assert held.take_room(9, lambda _op: 1, System.ONEC) == []  # another system's room
    assert [o.op_id for g in held.take_all() for o in g] == ["F3:state:4", "F3:state:5"]


def test_creates_fill_a_requests_room_when_they_wait_for_nothing() -> None:
    ops = [_create(1), _state(7), _create(2, ("F3:create:x",)), _create(3), _create(4)]
    pending = Pending(ops)
    pending.pop()  # the first: its own batch
    weight = {"F3:create:3": 2, "F3:create:4": 1}

    def ready(op: Operation) -> bool:
        return not op.depends_on  # create 2 waits for one not yet written

    groups = pending.take_creates(2, lambda op: weight.get(op.op_id, 1), ready)
    assert [[o.op_id for o in g] for g in groups] == [["F3:create:3"]]  # 4 has no room left
    assert [o.op_id for o in pending.rest()] == ["F3:state:7", "F3:create:2", "F3:create:4"]
