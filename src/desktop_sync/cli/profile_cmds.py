"""``desktop-sync profile add|list|show|set|remove``."""

from __future__ import annotations

import os
import sys

import click

from desktop_sync.cli.context import CommandError, Context, echo, emit_json, pass_context
from desktop_sync.config import Profile
from desktop_sync.config.profiles import CONFIGURATIONS
from desktop_sync.config.secrets import (
    KeyringUnavailable,
    SecretKind,
    SecretStore,
    backend_info,
)
from desktop_sync.config.urls import check_webhook
from desktop_sync.i18n import tr


@click.group("profile")
def profile_group() -> None:
    """Connection profiles: one 1C base + organization + one CRM portal."""


def _secret_from_input(kind: SecretKind) -> str | None:
    value = os.environ.get(kind.env)
    if value:
        return value
    if sys.stdin.isatty():
        prompt = (
            tr("1C password")
            if kind is SecretKind.ONEC_PASSWORD
            else tr("Bitrix24 inbound webhook URL (https://portal/rest/USER/CODE/)")
        )
        entered: str = click.prompt(prompt, hide_input=True, default="", show_default=False)
        return entered or None
    return None


@profile_group.command("add")
@click.argument("name")
@click.option(
    "--onec-url", required=True, help="1C OData root: https://host/base/odata/standard.odata"
)
@click.option("--onec-user", required=True, help="1C user name (Cyrillic is fine)")
@click.option("--crm-url", required=True, help="Bitrix24 portal URL: https://company.bitrix24.ru")
@click.option("--crm-kind", default="bitrix24", show_default=True, type=click.Choice(["bitrix24"]))
@click.option(
    "--configuration", default="bp30", show_default=True, type=click.Choice(CONFIGURATIONS)
)
@click.option("--organization", default="", help="the 1C organization: its name or ИНН")
@click.option(
    "--onec-timezone", default="Europe/Moscow", show_default=True, help="the 1C server's time zone"
)
@pass_context
def add(
    ctx: Context,
    name: str,
    onec_url: str,
    onec_user: str,
    crm_url: str,
    crm_kind: str,
    configuration: str,
    organization: str,
    onec_timezone: str,
) -> None:
    """Create a profile; secrets go to the OS keyring (or come from the environment)."""
    profile = Profile(
        name=name,
        onec_url=onec_url,
        onec_user=onec_user,
        crm_url=crm_url,
        crm_kind=crm_kind,
        configuration=configuration,
        organization=organization,
        onec_timezone=onec_timezone,
    ).validate()
    if name in ctx.store.load():
        raise CommandError(tr("profile «{name}» already exists").format(name=name))
    password = _secret_from_input(SecretKind.ONEC_PASSWORD)
    webhook = _secret_from_input(SecretKind.CRM_SECRET)
    if webhook:
        webhook = check_webhook(webhook, profile.crm_url)
    info = backend_info()
    secrets = SecretStore(profile.uuid)
    stored: list[str] = []
    if info.usable:
        try:
            if password:
                secrets.set(SecretKind.ONEC_PASSWORD, password)
                stored.append(tr("1C password"))
            if webhook:
                secrets.set(SecretKind.CRM_SECRET, webhook)
                stored.append(tr("Bitrix24 webhook"))
        except KeyringUnavailable as exc:
            raise CommandError(str(exc)) from None
    ctx.store.add(profile)
    echo(tr("Profile «{name}» created.").format(name=name))
    if stored:
        echo(tr("Saved in the system keyring: {what}.").format(what=", ".join(stored)))
    if not info.usable:
        echo(
            tr(
                "No secure keyring on this computer: no secret was saved. "
                "Each run takes them from {env1} and {env2}."
            ).format(env1=SecretKind.ONEC_PASSWORD.env, env2=SecretKind.CRM_SECRET.env)
        )
    elif not password or not webhook:
        echo(
            tr("Missing secrets will be asked for later, or taken from {env1} and {env2}.").format(
                env1=SecretKind.ONEC_PASSWORD.env, env2=SecretKind.CRM_SECRET.env
            )
        )


def _secret_state(profile: Profile, kind: SecretKind) -> str:
    if os.environ.get(kind.env):
        return f"from {kind.env}"
    if not backend_info().usable:
        return "not stored (no secure keyring)"
    try:
        value = SecretStore(profile.uuid).get(kind)
    except KeyringUnavailable as exc:
        return f"unknown ({exc})"
    return "stored in the keyring" if value else "missing"


@profile_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_context
def list_(ctx: Context, as_json: bool) -> None:
    """List the profiles."""
    profiles = ctx.store.load()
    if as_json:
        emit_json(
            {
                "profiles": [
                    {
                        "name": p.name,
                        "uuid": p.uuid,
                        "configuration": p.configuration,
                        "onec_url": p.onec_url,
                        "crm_url": p.crm_url,
                        "demo": p.demo,
                    }
                    for p in sorted(profiles.values(), key=lambda p: p.name)
                ]
            }
        )
        return
    if not profiles:
        echo(tr("No profiles yet. Create one with `desktop-sync profile add`."))
        return
    for p in sorted(profiles.values(), key=lambda p: p.name):
        echo(f"{p.name}\t{p.configuration}\t{p.onec_url}\t{p.crm_url}")


@profile_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_context
def show(ctx: Context, name: str, as_json: bool) -> None:
    """Show a profile's settings (never its secrets)."""
    profile = ctx.store.get(name)
    data = profile.to_json()
    data["secrets"] = {kind.value: _secret_state(profile, kind) for kind in SecretKind}
    if as_json:
        emit_json(data)
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        if isinstance(value, dict):
            if not value:
                echo(f"{key:<{width}}  —")
            for sub, v in value.items():
                echo(f"{key:<{width}}  {sub}: {v}")
        else:
            echo(f"{key:<{width}}  {value if value != '' else '—'}")


@profile_group.command("set")
@click.argument("name")
@click.argument("key")
@click.argument("value")
@pass_context
def set_(ctx: Context, name: str, key: str, value: str) -> None:
    """Change one setting, e.g. `stage.send DT31_1:S` or `warehouse.<1C name> <store id>`."""
    profile = ctx.store.get(name).with_setting(key, value)
    ctx.store.put(profile)
    echo(tr("{name}: {key} = {value}").format(name=name, key=key, value=value or "—"))


@profile_group.command("remove")
@click.argument("name")
@pass_context
def remove(ctx: Context, name: str) -> None:
    """Remove a profile and its secrets from the keyring (the journal is kept)."""
    profile = ctx.store.get(name)
    try:
        SecretStore(profile.uuid).delete_all()
    except KeyringUnavailable as exc:
        raise CommandError(str(exc)) from None
    ctx.store.remove(name)
    echo(tr("Profile «{name}» removed.").format(name=name))
