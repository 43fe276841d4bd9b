"""A batch of PDF comments holds its files' Base64 once, in its command strings, beside
the request's bytes (issue 18: the large set's first sync peaked at these batches; the
Base64 was held as the comments' fields, as the command strings, as the JSON text and
as its bytes, 10.4 MB for 1.85 MB of PDFs)."""

from __future__ import annotations

import base64
import json
import os
import tracemalloc
from urllib.parse import parse_qs

import httpx

from desktop_sync.connectors.bitrix24.rest import RestClient
from desktop_sync.connectors.bitrix24.timeline import Timeline

PDF = 37_000  # an invoice's PDF, about


def _portal(seen: list[bytes]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        if not request.url.path.endswith("/batch"):
            return httpx.Response(200, json={"result": 77, "time": {}})
        n = request.content.count(b"crm.timeline.comment.add")
        result = {"result": {f"c{i}": i + 1 for i in range(n)}, "result_error": []}
        return httpx.Response(200, json={"result": result, "time": {}})

    return httpx.MockTransport(answer)


def _comments() -> list[tuple[int, str, list[tuple[str, bytes]]]]:
    return [(i + 1, f"Счёт № {i}", [(f"Счет_{i}.pdf", os.urandom(PDF))]) for i in range(50)]


def test_a_batch_of_pdf_comments_holds_their_base64_once() -> None:
    seen: list[bytes] = []
    timeline = Timeline(RestClient("https://x.bitrix24.ru/rest/1/ab/", transport=_portal(seen)))
    timeline.rest.throttle_on = False
    timeline.add_comments(_comments())  # the code's first run: imports, caches
    comments = _comments()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        made = timeline.add_comments(comments)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert made == list(range(1, 51))
    assert peak < 4 * 50 * PDF  # the command strings and the request's bytes (+ a little)
    command = json.loads(seen[-1])["cmd"]["c7"]
    fields = parse_qs(command.partition("?")[2])
    assert base64.b64decode(fields["fields[FILES][0][1]"][0]) == comments[7][2][0][1]


def test_a_comment_alone_carries_its_file_as_base64() -> None:
    seen: list[bytes] = []
    timeline = Timeline(RestClient("https://x.bitrix24.ru/rest/1/ab/", transport=_portal(seen)))
    timeline.rest.throttle_on = False
    data = os.urandom(1000)
    assert timeline.add_comments([(5, "Счёт", [("a.pdf", data)])]) == [77]
    sent = json.loads(seen[-1])
    assert sent["fields"]["FILES"] == [["a.pdf", base64.b64encode(data).decode()]]
