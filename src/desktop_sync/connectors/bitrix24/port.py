"""Bitrix24 as the CRM port (``desktop_sync.crm.port``): the client is a
:class:`CrmPort` as it is (mypy checks it here), and its read of every list, bound to
the client, a :class:`ListReader`."""

from __future__ import annotations

import functools

from desktop_sync.connectors.bitrix24.client import Bitrix24Client
from desktop_sync.connectors.bitrix24.reads import read_lists
from desktop_sync.crm.port import CrmPort, ListReader


def as_port(client: Bitrix24Client) -> CrmPort:
    return client


def list_reader(client: Bitrix24Client) -> ListReader:
    return functools.partial(read_lists, client)
