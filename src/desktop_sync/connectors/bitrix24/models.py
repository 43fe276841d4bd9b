"""What the client returns besides the domain objects: the CRM-neutral records of
``desktop_sync.crm.types``, re-exported here under their old address."""

from __future__ import annotations

from desktop_sync.crm.types import (
    CrmCompany,
    CrmInvoice,
    CrmProduct,
    CustomFieldInfo,
    Stage,
    StoreAmount,
    StoreDocument,
    SyncFields,
    TimelineComment,
    TimelineFile,
)

__all__ = [
    "CrmCompany",
    "CrmInvoice",
    "CrmProduct",
    "CustomFieldInfo",
    "Stage",
    "StoreAmount",
    "StoreDocument",
    "SyncFields",
    "TimelineComment",
    "TimelineFile",
]
