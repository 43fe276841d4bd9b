"""Bitrix24 as the CRM port (``desktop_sync.crm.port``): the client is a
:class:`CrmPort` as it is, which mypy checks here."""

from __future__ import annotations

from desktop_sync.connectors.bitrix24.client import Bitrix24Client
from desktop_sync.crm.port import CrmPort


def as_port(client: Bitrix24Client) -> CrmPort:
    return client
