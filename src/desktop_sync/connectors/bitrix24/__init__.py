"""Bitrix24 REST client (httpx): webhook, batch, leaky-bucket throttle, ID-scan paging,
error mapping, custom fields. Returns domain objects."""

from desktop_sync.connectors.bitrix24.check import CheckReport, check
from desktop_sync.connectors.bitrix24.client import Bitrix24Client
from desktop_sync.connectors.bitrix24.errors import (
    Bitrix24AccessDenied,
    Bitrix24AuthError,
    Bitrix24BadResponse,
    Bitrix24Error,
    Bitrix24NotFound,
    Bitrix24PermissionError,
    Bitrix24RateLimited,
    Bitrix24RequestError,
    Bitrix24ScopeError,
    Bitrix24ServerError,
)
from desktop_sync.connectors.bitrix24.fields import SYNC_FIELDS, CustomField
from desktop_sync.connectors.bitrix24.models import (
    CrmCompany,
    CrmInvoice,
    CrmProduct,
    Stage,
    StoreAmount,
    StoreDocument,
    SyncFields,
)
from desktop_sync.connectors.bitrix24.rest import BatchReply, Reply, RestClient

__all__ = [
    "SYNC_FIELDS",
    "BatchReply",
    "Bitrix24AccessDenied",
    "Bitrix24AuthError",
    "Bitrix24BadResponse",
    "Bitrix24Client",
    "Bitrix24Error",
    "Bitrix24NotFound",
    "Bitrix24PermissionError",
    "Bitrix24RateLimited",
    "Bitrix24RequestError",
    "Bitrix24ScopeError",
    "Bitrix24ServerError",
    "CheckReport",
    "CrmCompany",
    "CrmInvoice",
    "CrmProduct",
    "CustomField",
    "Reply",
    "RestClient",
    "Stage",
    "StoreAmount",
    "StoreDocument",
    "SyncFields",
    "check",
]
