"""An inbox item as the door hands it to the window, built by hand for a widget test."""

from __future__ import annotations

from typing import Any

from desktop_sync.engine.records import InboxRecord


def inbox_record(
    id: int, kind: str, flow: str, entity_type: str, record_id: str, record_label: str,
    field: str, message: str, action: str, onec_value: Any, crm_value: Any, base_value: Any,
    dedup_key: str = "",
) -> InboxRecord:  # fmt: skip
    return InboxRecord(
        id=id, run_id=None, kind=kind, flow=flow, entity_type=entity_type, record_id=record_id,
        record_label=record_label, field=field, onec_value=onec_value, crm_value=crm_value,
        base_value=base_value, message=message, action=action, dedup_key=dedup_key,
        state="open", resolution=None,
    )  # fmt: skip
