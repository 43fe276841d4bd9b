"""Typed operations at the journal boundary: the image kept of an operation's intent has
the names journal rows had before payloads were typed, and an unsettled row written by
that older version is read back as the writers need it."""

from __future__ import annotations

from decimal import Decimal

from desktop_sync.domain.entities import Counterparty, CounterpartyKind
from desktop_sync.engine.executor import _after_image
from desktop_sync.engine.model import Flow, Operation, OpKind, System
from desktop_sync.engine.ops import (
    CounterpartyCreate,
    CrmPayment,
    EntityType,
    NumberBack,
    PaymentNote,
    StoreDocument,
    Unsettled,
    journal_image,
)


def _op(entity: EntityType, kind: OpKind, payload: object) -> Operation:
    return Operation(
        "x", Flow.F7, kind, System.CRM, entity, "ref-1", None, "key-1", "", "",
        payload=payload,  # type: ignore[arg-type]
    )  # fmt: skip


def test_entity_types_keep_the_names_the_journal_stores() -> None:
    stored = {
        "counterparty", "contract", "product", "invoice", "invoice_number", "invoice_payment",
        "invoice_shipment", "payment_note", "crm_payment", "store_document",
        "invoice_pdf", "deal", "sales_document", "sales_back",
    }  # fmt: skip
    assert {e.value for e in EntityType} == stored
    assert EntityType.INVOICE_BACK == "invoice_number"  # a plain string in the journal


def test_the_journal_image_has_the_names_of_older_rows() -> None:
    cp = Counterparty("ООО «Ромашка»", CounterpartyKind.ORGANIZATION, inn="7701234567")
    create = _op(EntityType.COUNTERPARTY, OpKind.CREATE, CounterpartyCreate(cp, {"name": "Р"}))
    assert _after_image(create) == {
        "changes": {},
        "source_id": "ref-1",
        "target_id": "",
        "values": {"name": "Р"},
    }
    back = _op(EntityType.INVOICE_BACK, OpKind.UPDATE, NumberBack("F1:create:7", "7"))
    assert journal_image(back.payload) == {"from_op": "F1:create:7", "crm_id": "7"}
    note = PaymentNote(7, "1C: payment")
    assert journal_image(note) == {"crm_id": 7}
    pay = CrmPayment(7, Decimal("10.00"), True)
    assert journal_image(pay) == {"crm_id": 7}
    move = StoreDocument(1, "S", {"5": Decimal(1)}, {}, "desktop-sync k")
    assert journal_image(move) == {}


def test_an_unsettled_row_of_the_older_version_is_read_back() -> None:
    """Rows as the version before typed payloads wrote them (their JSON, literally)."""
    old_company = {
        "changes": {"name": "ООО «Ромашка»"},
        "source_id": "0b5c5e0e-1111-2222-3333-444455556666",
        "target_id": "",
        "values": {"name": "ООО «Ромашка»", "inn": "7701234567", "kpp": "770101001"},
    }
    u = Unsettled.from_image("counterparty", "create", "k1", old_company)
    assert u is not None
    assert u.entity_type is EntityType.COUNTERPARTY and u.kind == "create" and u.key == "k1"
    assert u.source_id == old_company["source_id"]
    assert u.values["kpp"] == "770101001"
    old_note = {"changes": {}, "source_id": "p/i", "target_id": "12", "crm_id": 12}
    note = Unsettled.from_image("payment_note", "timeline", "k2", old_note)
    assert note is not None and note.crm_id == "12" and note.values == {}
    old_invoice = {
        "changes": {"total": "10.00"},
        "source_id": "12",
        "target_id": "r",
        "crm_id": "12",
    }
    invoice = Unsettled.from_image("invoice", "create", "k3", old_invoice)
    assert invoice is not None and invoice.crm_id == "12"
    assert Unsettled.from_image("store_document", "move_stock", "k4", None) is not None
    assert Unsettled.from_image("no_longer_written", "create", "k5", {}) is None


def test_writers_import_no_planning() -> None:
    """The writers know operations through ``ops`` and ``model`` only: not the planner,
    its parts (entity names, writable fields) or the matcher."""
    import ast
    from pathlib import Path

    import desktop_sync.engine as engine

    planning = {
        "planner", "plan_base", "plan_counterparties", "plan_invoices", "plan_products",
        "plan_invoice_checks", "stock", "matcher", "money", "decisions",
    }  # fmt: skip
    root = Path(engine.__file__).parent
    writers = sorted(root.glob("write_*.py"))
    assert len(writers) >= 5
    for path in writers:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            node.module.rsplit(".", 1)[-1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        } | {
            alias.name.rsplit(".", 1)[-1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "desktop_sync.engine"
            for alias in node.names
        }
        assert not imported & planning, (path.name, imported & planning)
