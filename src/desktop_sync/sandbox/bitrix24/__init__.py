"""A faithful Bitrix24 cloud REST sandbox (inbound webhooks), seeded with the shared story.

>>> with start(rate_limit=False) as portal:   # doctest: +SKIP
...     httpx.post(portal.webhook + "crm.item.list", json={"entityTypeId": 31})

See ``server.py`` for the request path, ``limits.py`` for the leaky bucket and the
operating-time cost model, ``faults.py`` for the fault grammar, ``batch.py`` for
``$result`` substitution, and docs/decisions/bitrix24-sandbox.md.
"""

from desktop_sync.sandbox.bitrix24.portal import Bitrix24Sandbox, start

__all__ = ["Bitrix24Sandbox", "start"]
