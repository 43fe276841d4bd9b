"""Which inbox decisions the engine can carry out: checked when they are made (pure)."""

from __future__ import annotations

import pytest

from desktop_sync.engine.decisions import DecisionRefused, ItemView, check, conflict_field
from desktop_sync.engine.model import Decision, FieldChange, Flow, Operation, OpKind, System
from desktop_sync.engine.plan_base import Builder, PlanSettings, planned_changes

REF = "6f1c2d3e-4a5b-4c6d-8e7f-901234567890"


def conflict(entity: str, field: str, flow: str = "F7") -> ItemView:
    return ItemView(
        f"{flow}:conflict:{entity}:{REF}:{field}", "conflict", entity, field, "ООО «Ромашка»"
    )


def test_the_field_of_a_conflict_key() -> None:
    assert conflict_field(f"F5:conflict:product:{REF}:name") == "name"
    assert conflict_field("F1:no_company:10") is None


@pytest.mark.parametrize("action", ["take_onec", "take_crm", "skip"])
def test_a_counterparty_name_can_go_either_way(action: str) -> None:
    assert check(conflict("counterparty", "name"), action) is None


def test_a_typed_name_is_normalized_as_the_sync_compares_it() -> None:
    assert check(conflict("counterparty", "name"), "value", "  ООО   «Ромашка» ") == "ООО «Ромашка»"
    with pytest.raises(DecisionRefused):
        check(conflict("counterparty", "name"), "value", "   ")


@pytest.mark.parametrize(
    ("entity", "field", "action", "words"),
    [
        ("product", "name", "take_crm", "1C leads products"),
        ("product", "price", "value", "1C leads products"),
        ("counterparty", "inn", "take_onec", "in CRM"),  # a requisite's ИНН is not rewritten
        ("counterparty", "phone", "take_crm", "in 1C"),
        ("invoice", "counterparty", "take_onec", "in CRM"),
        ("invoice", "rows", "take_crm", "in 1C"),
    ],
)
def test_what_the_engine_cannot_write_is_refused_with_the_reason(
    entity: str, field: str, action: str, words: str
) -> None:
    with pytest.raises(DecisionRefused) as info:
        check(conflict(entity, field, "F5" if entity == "product" else "F7"), action, "x")
    assert words in str(info.value)


def test_an_attention_item_offers_no_value_to_take() -> None:
    item = ItemView("F1:no_company:10", "attention", "invoice", "", "Счёт 10", "choose a company")
    for action in ("take_onec", "take_crm", "value"):
        with pytest.raises(DecisionRefused) as info:
            check(item, action, "x")
        assert "choose a company" in str(info.value)
    with pytest.raises(DecisionRefused):
        check(item, "confirm")
    assert check(item, "skip") is None


def _update(name: str) -> Operation:
    return Operation(
        op_id=f"F5:update_crm:product:{REF}",
        flow=Flow.F5,
        kind=OpKind.UPDATE,
        target=System.CRM,
        entity_type="product",
        source_id=REF,
        target_id="7",
        idempotency_key="",
        reason="",
        record_label=name,
        changes=(FieldChange("unit", "Unit", "796", name),),
    )


def test_a_skipped_refused_write_stays_out_while_it_would_be_the_same() -> None:
    op = _update("055")
    key = f"F5:refused:{op.op_id}"
    skip = Decision("skip", changes=planned_changes(op))
    b = Builder(PlanSettings("p", decisions={key: skip}))
    b.op(op)
    assert b.build().operations == ()
    other = Builder(PlanSettings("p", decisions={key: skip}))
    other.op(_update("006"))  # the accountant changed the unit again: a new write
    assert [o.op_id for o in other.build().operations] == [op.op_id]


def test_the_window_says_why_a_decision_is_refused() -> None:
    from desktop_sync.gui.errors import plain_message

    with pytest.raises(DecisionRefused) as info:
        check(conflict("product", "name", "F5"), "take_crm")
    message, expected = plain_message(info.value)
    assert expected and "1C leads products" in message
