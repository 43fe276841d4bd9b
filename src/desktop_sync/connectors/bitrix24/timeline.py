"""Comments (with files) on an invoice's timeline (``crm.timeline.comment.*``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop_sync.connectors.bitrix24.encoding import http_build_query
from desktop_sync.connectors.bitrix24.envelope import MAX_BATCH, Params
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
from desktop_sync.connectors.bitrix24.models import TimelineComment, TimelineFile
from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.i18n import N_

# A batch of comments with files starts under this body: PHP's default post_max_size
# (8 MB; the cloud front's client_max_body_size is not published). 50 PDFs of some 37 KB
# are about 2.6 MB form-encoded: one request. A front server that takes less answers 413
# before anything is made: the cap is then halved below that body for the rest of the
# run and the comments are sent again in smaller batches (one alone at the end).
BATCH_BODY = 8 * 1024 * 1024
Comment = tuple[int, str, Sequence[tuple[str, bytes]]]
INVOICE_TIMELINE, DEAL_TIMELINE = "dynamic_31", "deal"  # ENTITY_TYPE of a smart invoice, a deal


class Timeline:
    """An invoice's timeline."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest
        self.body_cap = BATCH_BODY  # lowered by a 413, kept for the client's life

    def add_comment(
        self,
        invoice_id: int,
        text: str,
        files: Sequence[tuple[str, bytes]] = (),
        *,
        deal: bool = False,
    ) -> int:
        """A comment on the invoice's timeline (``deal``: the deal's); ``files`` (name,
        content) go with it, in Base64 without line breaks, as ``FILES: [[name, base64], …]``."""
        params = _add_params(invoice_id, text, files)
        if deal:
            params["fields"]["ENTITY_TYPE"] = DEAL_TIMELINE
        result = self.rest.call(
            "crm.timeline.comment.add",
            params,
            what=f"timeline of {'deal' if deal else 'invoice'} {invoice_id}",
        ).result
        return int(result)

    def add_comments(self, comments: Sequence[Comment]) -> list[int | Exception]:
        """Many comments (invoice id, text, files), several to a batch request within
        ``body_cap``; each comment's id or its own error. A batch whose answer is lost
        gives its error (outcome unknown) to each of its comments; one the front server
        refuses as too large (413, nothing made) lowers the cap below its body, and its
        comments go again in smaller batches."""
        out: list[int | Exception] = []
        rest = [(_add_params(*c), c) for c in comments]
        while rest:
            group = _group([p for p, _c in rest], self.body_cap)
            sent = self._add_group(rest[: len(group)])
            if sent is None:  # too large for the front server: nothing was made
                self.body_cap = max(1, sum(group) // 2)
                continue
            out.extend(sent)
            rest = rest[len(group) :]
        return out

    def _add_group(self, group: list[tuple[Params, Comment]]) -> list[int | Exception] | None:
        """One batch request's comments; None: the front server refused it as too large."""
        if len(group) == 1:
            return [self._add_alone(group[0][1])]
        cmds = {f"c{n}": ("crm.timeline.comment.add", p) for n, (p, _c) in enumerate(group)}
        try:
            reply = self.rest.batch(cmds, what=N_("timelines of invoices"))
        except Bitrix24Error as exc:  # the request refused, or its answer lost
            return None if exc.status == 413 else [exc for _ in group]
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
            what=N_("timelines of invoices"),
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

    def comment_texts(self, invoice_id: int, *, deal: bool = False) -> list[str]:
        """The texts of the invoice's (``deal``: the deal's) timeline comments."""
        entity = DEAL_TIMELINE if deal else INVOICE_TIMELINE
        rows = (
            self.rest.call(
                "crm.timeline.comment.list",
                {"filter": {"ENTITY_ID": invoice_id, "ENTITY_TYPE": entity}},
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
        fields["FILES"] = [[name, data] for name, data in files]  # Base64 when encoded
    return {"fields": fields}


def _group(params: list[Params], cap: int) -> list[int]:
    """The form-encoded sizes of the first comments that fit together in ``cap`` and
    ``MAX_BATCH`` (one at least)."""
    sizes: list[int] = []
    for p in params[:MAX_BATCH]:
        one = len(http_build_query(p)) + 64
        if sizes and sum(sizes) + one > cap:
            break
        sizes.append(one)
    return sizes
