"""Comments (with files) on an invoice's timeline (``crm.timeline.comment.*``)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from desktop_sync.connectors.bitrix24.models import TimelineComment, TimelineFile
from desktop_sync.connectors.bitrix24.rest import RestClient


class Timeline:
    """An invoice's timeline."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest

    def add_comment(
        self, invoice_id: int, text: str, files: Sequence[tuple[str, bytes]] = ()
    ) -> int:
        """A comment on the invoice's timeline; ``files`` (name, content) go with it, in
        Base64 without line breaks, as ``FILES: [[name, base64], …]``."""
        fields: dict[str, Any] = {
            "ENTITY_ID": invoice_id,
            "ENTITY_TYPE": "dynamic_31",
            "COMMENT": text,
        }
        if files:
            fields["FILES"] = [
                [name, base64.b64encode(data).decode("ascii")] for name, data in files
            ]
        result = self.rest.call(
            "crm.timeline.comment.add",
            {"fields": fields},
            what=f"timeline of invoice {invoice_id}",
        ).result
        return int(result)

    def comments(self, invoice_id: int) -> list[TimelineComment]:
        """The invoice's timeline comments with their files (``FILES`` keyed by file id)."""
        rows = (
            self.rest.call(
                "crm.timeline.comment.list",
                {
                    "filter": {"ENTITY_ID": invoice_id, "ENTITY_TYPE": "dynamic_31"},
                    "select": ["ID", "COMMENT", "FILES"],
                },
            ).result
            or []
        )
        out = []
        for r in rows:
            raw = r.get("FILES") or {}
            items = raw.values() if isinstance(raw, dict) else raw
            files = tuple(
                TimelineFile(
                    int(f.get("id") or 0), str(f.get("name") or ""), int(f.get("size") or 0)
                )
                for f in items
                if isinstance(f, dict)
            )
            out.append(TimelineComment(int(r.get("ID") or 0), str(r.get("COMMENT") or ""), files))
        return out

    def comment_texts(self, invoice_id: int) -> list[str]:
        rows = (
            self.rest.call(
                "crm.timeline.comment.list",
                {"filter": {"ENTITY_ID": invoice_id, "ENTITY_TYPE": "dynamic_31"}},
            ).result
            or []
        )
        return [str(r.get("COMMENT") or "") for r in rows]
