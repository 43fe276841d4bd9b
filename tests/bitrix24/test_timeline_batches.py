"""Timeline comments in batches (F11, issue 18): many PDFs to a batch request within the
body cap, each comment's own answer; a refused one fails alone; a front server that
takes less gets them one at a time; many timelines read in one request."""

from __future__ import annotations

import math

from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.connectors.bitrix24.errors import Bitrix24Error
from desktop_sync.connectors.bitrix24.timeline import BATCH_BODY
from desktop_sync.sandbox.bitrix24 import Bitrix24Sandbox

from .test_timeline_files import PDF


def _with_files(portal: Bitrix24Sandbox) -> list[tuple[int, str]]:
    st = portal.store
    with st.lock:
        return [(int(r["ENTITY_ID"]), str(r["COMMENT"])) for r in st.comments.rows.values()]


def test_many_pdfs_travel_several_to_a_batch_and_a_refused_one_fails_alone(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    ids = sorted(portal.store.items.rows)
    comments = [(ids[n % len(ids)], f"Счёт {n}", [(f"счёт_{n}.pdf", PDF)]) for n in range(30)]
    comments[7] = (999999, "Счёт 7", [("счёт_7.pdf", PDF)])  # no such invoice
    stats = portal.portal.stats
    before = stats.calls["batch"], stats.calls["crm.timeline.comment.add"]
    made = client.timeline.add_comments(comments)
    assert isinstance(made[7], Bitrix24Error)
    assert all(isinstance(m, int) for n, m in enumerate(made) if n != 7)
    per_batch = BATCH_BODY // (len(PDF) * 3 // 2)  # Base64, form-encoded: under 1.5x
    assert stats.calls["batch"] - before[0] <= math.ceil(30 / per_batch)
    assert stats.calls["crm.timeline.comment.add"] == before[1]  # none alone
    texts = sorted(t for _i, t in _with_files(portal))
    assert texts == sorted(f"Счёт {n}" for n in range(30) if n != 7)


def test_a_front_server_that_takes_less_gets_them_one_at_a_time_each_once(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    invoice_id = min(portal.store.items.rows)
    portal.portal.max_body = len(PDF) * 3 // 2 + 4096  # one PDF fits, two do not
    made = client.timeline.add_comments(
        [(invoice_id, f"Счёт {n}", [(f"счёт_{n}.pdf", PDF)]) for n in range(3)]
    )
    assert all(isinstance(m, int) for m in made), made
    assert portal.portal.stats.calls["crm.timeline.comment.add"] == 3  # after the 413
    assert sorted(t for _i, t in _with_files(portal)) == ["Счёт 0", "Счёт 1", "Счёт 2"]


def test_many_timelines_are_read_in_one_request(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    ids = sorted(portal.store.items.rows)
    client.timeline.add_comment(ids[0], "Счёт [desktop-sync:k1]")
    stats = portal.portal.stats
    before = sum(stats.calls.values())
    texts = client.timeline.texts_of([*ids, 999999])
    assert sum(stats.calls.values()) - before == math.ceil((len(ids) + 1) / 50)
    assert texts[ids[0]] == ["Счёт [desktop-sync:k1]"]
    assert isinstance(texts[999999], Bitrix24Error)


def test_fifty_pdfs_are_one_request_and_a_smaller_front_server_is_learned_once(
    client: Bitrix24Client, portal: Bitrix24Sandbox
) -> None:
    invoice_id = min(portal.store.items.rows)
    stats = portal.portal.stats
    requests = stats.requests
    made = client.timeline.add_comments(
        [(invoice_id, f"Счёт {n}", [(f"счёт_{n}.pdf", PDF)]) for n in range(50)]
    )
    assert all(isinstance(m, int) for m in made)
    assert stats.requests - requests == 1  # was 3 under a 1 MB cap with this PDF
    portal.portal.max_body = 4 * len(PDF) * 3 // 2  # three fit, four do not
    requests = stats.requests
    made = client.timeline.add_comments(
        [(invoice_id, f"Ещё {n}", [(f"ещё_{n}.pdf", PDF)]) for n in range(12)]
    )
    assert all(isinstance(m, int) for m in made), made
    # refused once (413, nothing made), halved until it fits, then kept
    assert stats.requests - requests <= 3 + math.ceil(12 / 2)
    assert client.timeline.body_cap < portal.portal.max_body
    texts = [t for _i, t in _with_files(portal) if t.startswith("Ещё")]
    assert sorted(texts) == sorted(f"Ещё {n}" for n in range(12))  # each once
