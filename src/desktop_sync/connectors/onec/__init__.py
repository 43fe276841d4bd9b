"""The 1C:Enterprise OData client: BP 3.0 and UT 11, each a mapping over one transport."""

from desktop_sync.connectors.onec.access import CheckReport, EntityAccess
from desktop_sync.connectors.onec.client import OnecClient, comment_with_key, ref_for_key
from desktop_sync.connectors.onec.errors import (
    OnecAccessDenied,
    OnecAlreadyExists,
    OnecAuthError,
    OnecBadRequest,
    OnecBadResponse,
    OnecConflict,
    OnecConnectionError,
    OnecError,
    OnecNotFound,
    OnecPostingError,
    OnecProfileError,
    OnecServerError,
    OnecTimeout,
    OnecUnavailable,
)
from desktop_sync.connectors.onec.literals import Guid, Query
from desktop_sync.connectors.onec.profiles import BP30, Problem, Profile
from desktop_sync.connectors.onec.records import BankDetails, Changes, Organization
from desktop_sync.connectors.onec.transport import CreateResult

__all__ = [
    "BP30",
    "BankDetails",
    "Changes",
    "CheckReport",
    "CreateResult",
    "EntityAccess",
    "Guid",
    "OnecAccessDenied",
    "OnecAlreadyExists",
    "OnecAuthError",
    "OnecBadRequest",
    "OnecBadResponse",
    "OnecClient",
    "OnecConflict",
    "OnecConnectionError",
    "OnecError",
    "OnecNotFound",
    "OnecPostingError",
    "OnecProfileError",
    "OnecServerError",
    "OnecTimeout",
    "OnecUnavailable",
    "Organization",
    "Problem",
    "Profile",
    "Query",
    "comment_with_key",
    "ref_for_key",
]
