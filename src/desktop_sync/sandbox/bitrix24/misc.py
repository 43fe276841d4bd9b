"""Basic methods a webhook may call: ``scope``, ``profile``, ``user.current``, ``app.info``."""

from __future__ import annotations

from typing import Any

from desktop_sync.sandbox.bitrix24.registry import Ctx, Outcome, method


@method("scope", None)
def scope(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    return Outcome(sorted(ctx.hook.scopes))


@method("profile", None)
def profile(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    u = ctx.user
    return Outcome(
        {
            "ID": u.id,
            "ADMIN": u.admin,
            "NAME": u.name,
            "LAST_NAME": u.last_name,
            "PERSONAL_GENDER": "",
            "TIME_ZONE": "Europe/Moscow",
            "TIME_ZONE_OFFSET": 10800,
        }
    )


@method("user.current", ("user", "user_brief", "user_basic"))
def user_current(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    u = ctx.user
    return Outcome(
        {
            "ID": str(u.id),
            "XML_ID": None,
            "ACTIVE": True,
            "NAME": u.name,
            "LAST_NAME": u.last_name,
            "SECOND_NAME": "",
            "EMAIL": u.email,
            "TIME_ZONE": "Europe/Moscow",
            "TIME_ZONE_OFFSET": "10800",
            "USER_TYPE": "employee",
            "IS_ONLINE": "Y",
        }
    )


@method("app.info", None)
def app_info(ctx: Ctx, params: dict[str, Any]) -> Outcome:
    # A webhook has no application: the portal answers the licence and the scopes only.
    return Outcome(
        {
            "LICENSE": "ru_company",
            "LICENSE_TYPE": "company",
            "LICENSE_FAMILY": "company",
            "SCOPE": sorted(ctx.hook.scopes),
        }
    )
