"""Comments (with files) on an invoice's timeline (``crm.timeline.comment.*``)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from desktop_sync.connectors.bitrix24.encoding import http_build_query
from desktop_sync.connectors.bitrix24.envelope import MAX_BATCH, Params
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
from desktop_sync.connectors.bitrix24.models import TimelineComment, TimelineFile
from desktop_sync.connectors.bitrix24.rest import RestClient

# A batch of comments with files stays under this body (a PDF is some 37 KB, 50 KB in
# Base64, a little more form-encoded: some 19 to a batch request). A portal whose front
# server takes less answers 413 before anything is made; each is then sent alone.
BATCH_BODY = 1024 * 1024
Comment = tuple[int, str, Sequence[tuple[str, bytes]]]


class Timeline:
    """An invoice's timeline."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest

    def add_comment(
        self, invoice_id: int, text: str, files: Sequence[tuple[str, bytes]] = ()
    ) -> int:
        """A comment on the invoice's timeline; ``files`` (name, content) go with it, in
        Base64 without line breaks, as ``FILES: [[name, base64], …]``."""
        result = self.rest.call(
            "crm.timeline.comment.add",
            _add_params(invoice_id, text, files),
            what=f"timeline of invoice {invoice_id}",
        ).result
        return int(result)

    def add_comments(self, comments: Sequence[Comment]) -> list[int | Exception]:
        """Many comments (invoice id, text, files), several to a batch request within
        ``BATCH_BODY``; each comment's id or its own error. A batch whose answer is lost
        gives its error (outcome unknown) to each of its comments; one the front server
        refuses as too large (413, nothing made) is sent again one comment at a time."""
        out: list[int | Exception] = []
        for group in _groups([_add_params(*c) for c in comments]):
            out.extend(self._add_group(group, [comments[n] for n, _p in group]))
        return out

    def _add_group(
        self, group: list[tuple[int, Params]], comments: list[Comment]
    ) -> list[int | Exception]:
        if len(group) == 1:
            return [self._add_alone(comments[0])]
        cmds = {f"c{n}": ("crm.timeline.comment.add", p) for n, p in group}
        try:
            reply = self.rest.batch(cmds, what="timelines of invoices")
        except Bitrix24Error as exc:  # the request refused, or its answer lost
            if exc.status != 413:
                return [exc for _ in group]
            return [self._add_alone(c) for c in comments]
        out: list[int | Exception] = []
        for key in cmds:
            if key in reply.errors:
                out.append(reply.errors[key])
            else:
                out.append(int(reply.results[key]))
        return out

    def _add_alone(self, c: Comment) -> int | Exception:
        try:
            return self.add_comment(*c)
        except Bitrix24Error as exc:
            return exc

    def texts_of(self, invoice_ids: Sequence[int]) -> dict[int, list[str] | Exception]:
        """Each invoice's comment texts, 50 invoices to a batch request; a read that
        failed gives its error."""
        reply = self.rest.batch_all(
            {
                f"i{iid}": (
                    "crm.timeline.comment.list",
                    {
                        "filter": {"ENTITY_ID": iid, "ENTITY_TYPE": "dynamic_31"},
                        "select": ["ID", "COMMENT"],
                    },
                )
                for iid in dict.fromkeys(invoice_ids)
            },
            what="timelines of invoices",
        )
        out: dict[int, list[str] | Exception] = {}
        for iid in invoice_ids:
            key = f"i{iid}"
            if key in reply.errors:
                out[iid] = reply.errors[key]
            else:
                out[iid] = [str(r.get("COMMENT") or "") for r in reply.results.get(key) or []]
        return out

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


def _add_params(invoice_id: int, text: str, files: Sequence[tuple[str, bytes]] = ()) -> Params:
    """A comment's ``fields``; files in Base64 without line breaks, as
    ``FILES: [[name, base64], …]``."""
    fields: dict[str, Any] = {
        "ENTITY_ID": invoice_id,
        "ENTITY_TYPE": "dynamic_31",
        "COMMENT": text,
    }
    if files:
        fields["FILES"] = [[name, base64.b64encode(data).decode("ascii")] for name, data in files]
    return {"fields": fields}


def _groups(params: list[Params]) -> list[list[tuple[int, Params]]]:
    """The comments in order, as many to a group as fit in ``BATCH_BODY`` and
    ``MAX_BATCH`` (form-encoded, as the batch sends them)."""
    groups: list[list[tuple[int, Params]]] = []
    size = 0
    for n, p in enumerate(params):
        one = len(http_build_query(p)) + 64
        if not groups or len(groups[-1]) >= MAX_BATCH or size + one > BATCH_BODY:
            groups.append([])
            size = 0
        groups[-1].append((n, p))
        size += one
    return groups
