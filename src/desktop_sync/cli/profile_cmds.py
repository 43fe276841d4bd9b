"""``desktop-sync profile add|list|show|set|remove``."""

from __future__ import annotations

import os

import click

from desktop_sync.cli.context import CommandError, Context, echo, emit_json, pass_context
from desktop_sync.config import Profile
from desktop_sync.config.errors import ConfigError
from desktop_sync.config.profiles import CONFIGURATIONS
from desktop_sync.config.secrets import (
    KeyringUnavailable,
    SecretKind,
    SecretStore,
    backend_info,
)
from desktop_sync.config.urls import check_webhook
from desktop_sync.i18n import N_, tr
from desktop_sync.stdio import stdin_is_console


@click.group("profile")
def profile_group() -> None:
    """Connection profiles: one 1C base + organization + one CRM portal."""


def _secret_from_input(kind: SecretKind, ask: bool = True) -> str | None:
    value = os.environ.get(kind.env)
    if value:
        return value
    if ask and stdin_is_console():  # not isatty(): on Windows NUL is a tty
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
    "--onec-url",
    required=True,
    help="1C OData root: https://host/base/odata/standard.odata (the OData path is added "
    "when only the publication is given)",
)
@click.option("--onec-user", required=True, help="1C user name (Cyrillic is fine)")
@click.option("--crm-url", required=True, help="Bitrix24 portal URL: https://company.bitrix24.ru")
@click.option("--crm-kind", default="bitrix24", show_default=True, type=click.Choice(["bitrix24"]),
              help="the CRM: Bitrix24 (the only one so far)")  # fmt: skip
@click.option(
    "--configuration", default="bp30", show_default=True, type=click.Choice(CONFIGURATIONS),
    help="the 1C configuration (bp30: Бухгалтерия 3.0, ut11: УТ 11)",
)  # fmt: skip
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
    onec_url = complete_odata_url(onec_url)
    name = name.strip()  # «shop » would be listed as shop and never found as shop
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
    info = backend_info()
    if not info.usable:
        # Said before anything is asked: a secret typed here could not be kept.
        echo(no_keyring_message())
    password = _secret_from_input(SecretKind.ONEC_PASSWORD, ask=info.usable)
    webhook = _secret_from_input(SecretKind.CRM_SECRET, ask=info.usable)
    if webhook:
        try:
            webhook = check_webhook(webhook, profile.crm_url)
        except ConfigError as exc:
            if os.environ.get(SecretKind.CRM_SECRET.env):  # a variable left from another portal
                raise CommandError(
                    tr("{reason} (the webhook from {env})").format(
                        reason=exc, env=SecretKind.CRM_SECRET.env
                    )
                ) from None
            raise
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
    if info.usable and (not password or not webhook):
        echo(
            tr("Missing secrets will be asked for later, or taken from {env1} and {env2}.").format(
                env1=SecretKind.ONEC_PASSWORD.env, env2=SecretKind.CRM_SECRET.env
            )
        )


ODATA_PATH = "/odata/standard.odata"


def complete_odata_url(url: str) -> str:
    """``https://host/base`` → ``https://host/base/odata/standard.odata``, said aloud."""
    from urllib.parse import urlsplit

    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return url  # the profile's own check names what is wrong
    if parts.path.lower().endswith(ODATA_PATH):
        return text
    if "/odata" in parts.path.lower():
        raise CommandError(
            tr(
                "--onec-url: «{url}» has an OData path other than {path}; give the "
                "publication's address, e.g. https://server/base{path}"
            ).format(url=text, path=ODATA_PATH)
        )
    completed = text + ODATA_PATH
    echo(
        tr(
            "The 1C address has no OData path; using {url} (1C's standard OData interface "
            "of that publication)."
        ).format(url=completed)
    )
    return completed


def no_keyring_message() -> str:
    return tr(
        "No secure keyring on this computer, so no secret is asked for or saved. "
        "Each run takes them from the environment: {env1} = the 1C password, "
        "{env2} = the whole Bitrix24 inbound webhook URL "
        "(https://portal.bitrix24.ru/rest/1/code/)."
    ).format(env1=SecretKind.ONEC_PASSWORD.env, env2=SecretKind.CRM_SECRET.env)


def _secret_state(profile: Profile, kind: SecretKind, as_json: bool) -> str:
    def say(text: str) -> str:
        return text if as_json else tr(text)

    if os.environ.get(kind.env):
        return say("from {env}").format(env=kind.env)
    if not backend_info().usable:
        return say("not stored (no secure keyring)")
    try:
        value = SecretStore(profile.uuid).get(kind)
    except KeyringUnavailable as exc:
        return say("unknown ({reason})").format(reason=exc)
    return say("stored in the keyring") if value else say("missing")


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
    data["secrets"] = {
        kind.value: _secret_state(profile, kind, as_json)
        for kind in SecretKind
        if kind is not SecretKind.JOURNAL_PASSWORD or profile.journal_url.startswith("postgresql")
    }
    if as_json:
        emit_json(data)
        return
    labels = {k: tr(SETTING_LABELS[k]) if k in SETTING_LABELS else k for k in data}
    width = max(len(label) for label in labels.values())
    for key, value in data.items():
        label = labels[key]
        if isinstance(value, dict):
            if not value:
                echo(f"{label:<{width}}  —")
            for sub, v in value.items():
                sub_label = tr(SETTING_LABELS[sub]) if sub in SETTING_LABELS else sub
                if isinstance(v, dict):  # a deal pipeline's stages (F9)
                    v = ", ".join(f"{_label(m)} {s}" for m, s in v.items())
                echo(f"{label:<{width}}  {sub_label}: {_shown(v)}")
        elif key == "sale_carrier":  # F9: which of a deal and its smart invoice is sent
            echo(f"{label:<{width}}  {tr(_CARRIERS.get(str(value), str(value)))}")
        else:
            echo(f"{label:<{width}}  {_shown(value)}")


_CARRIERS = {"invoice": N_("the smart invoice"), "deal": N_("the deal")}


def _label(key: str) -> str:
    return tr(SETTING_LABELS[key]) if key in SETTING_LABELS else key


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return tr("yes") if value else tr("no")
    return "—" if value in ("", None) else str(value)


# `profile show` in words; `--json` keeps the keys.
SETTING_LABELS = {
    "name": N_("Name"),
    "onec_url": N_("1C address"),
    "onec_user": N_("1C user"),
    "crm_url": N_("CRM portal"),
    "uuid": N_("Identifier"),
    "configuration": N_("1C configuration"),
    "organization": N_("1C organization"),
    "order_warehouse": N_("Warehouse of orders"),
    "onec_timezone": N_("1C time zone"),
    "onec_ca_file": N_("1C certificate file"),
    "crm_kind": N_("CRM kind"),
    "stages": N_("CRM stages"),
    "warehouses": N_("Warehouses → CRM stores"),
    "filters": N_("Filters"),
    "schedule_minutes": N_("Schedule, minutes"),
    "start_at_logon": N_("Start at logon"),
    "journal_url": N_("Journal database"),
    "crm_throttle": N_("Pace CRM requests"),
    "invoice_pdf": N_("Printed invoice (PDF) on the CRM timeline"),
    "deal_stages": N_("Deal pipelines: stages"),
    "sale_carrier": N_("A deal with its own smart invoice: sent to 1C is"),
    "demo": N_("Demo profile"),
    "secrets": N_("Secrets"),
    "onec_password": N_("1C password"),
    "crm_secret": N_("Bitrix24 webhook"),
    "journal_password": N_("Journal database password"),
    "send": N_("send to 1C"),
    "paid": N_("paid"),
    "ship": N_("delivered: 1C makes the sales document"),
    "ship_post": N_("Sales document posted at once"),
    "issued_since": N_("1C invoices to the CRM from"),
    "crm_responsible": N_("Responsible for invoices from 1C (CRM user)"),
}


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
    if key == "schedule.at_logon":
        _apply_logon_start(ctx, profile)
    if key == "journal.url" and profile.journal_url.startswith("postgresql"):
        _journal_password(profile)


def _journal_password(profile: Profile, *, only_if_missing: bool = False) -> None:
    """A shared journal's database password: asked for on a terminal, kept in the keyring."""
    kind = SecretKind.JOURNAL_PASSWORD
    if os.environ.get(kind.env):
        echo(tr("The journal's database password comes from {env}.").format(env=kind.env))
        return
    if only_if_missing and backend_info().usable:
        try:
            if SecretStore(profile.uuid).get(kind):
                return
        except KeyringUnavailable as exc:
            raise CommandError(str(exc)) from None
    if not (backend_info().usable and stdin_is_console()):
        echo(
            tr(
                "The journal's database password is not asked for here: set {env} for each "
                "run, or run this command on a terminal to keep it in the keyring."
            ).format(env=kind.env)
        )
        return
    entered: str = click.prompt(
        tr("Password of the journal's database (empty: none)"),
        hide_input=True,
        default="",
        show_default=False,
    )
    if entered:
        try:
            SecretStore(profile.uuid).set(kind, entered)
        except KeyringUnavailable as exc:
            raise CommandError(str(exc)) from None
        echo(tr("The journal's database password is kept in the keyring."))


def _no_logon_start(exc: OSError) -> str:
    return tr("cannot set the start at logon: {reason}").format(reason=exc.strerror or exc)


def _apply_logon_start(ctx: Context, profile: Profile) -> None:
    try:
        done = ctx.store.start_at_logon(profile)
    except OSError as exc:
        raise CommandError(_no_logon_start(exc)) from None
    if not done:
        echo(tr("Starting at logon is not supported on this system; nothing was changed."))
    elif profile.start_at_logon:
        echo(tr("The window will open at logon, and run the schedule."))


@profile_group.command("secret")
@click.argument("name")
@pass_context
def secret(ctx: Context, name: str) -> None:
    """Store the profile's 1C password and Bitrix24 webhook in the OS keyring: from
    DESKTOP_SYNC_ONEC_PASSWORD and DESKTOP_SYNC_CRM_SECRET, or asked for without echo
    (an empty answer keeps the stored one). Never from the command line itself."""
    profile = ctx.store.get(name)
    info = backend_info()
    if not info.usable:
        raise CommandError(no_keyring_message())
    password = _secret_from_input(SecretKind.ONEC_PASSWORD)
    webhook = _secret_from_input(SecretKind.CRM_SECRET)
    if not password and not webhook:
        raise CommandError(
            tr(
                "nothing to store for profile «{name}»: run it in a terminal to be asked, "
                "or set {env1} and/or {env2}"
            ).format(
                name=profile.name,
                env1=SecretKind.ONEC_PASSWORD.env,
                env2=SecretKind.CRM_SECRET.env,
            )
        )
    if webhook:
        try:
            webhook = check_webhook(webhook, profile.crm_url)
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
    stored: list[str] = []
    secrets = SecretStore(profile.uuid)
    try:
        for kind, value, what in (
            (SecretKind.ONEC_PASSWORD, password, N_("1C password")),
            (SecretKind.CRM_SECRET, webhook, N_("Bitrix24 webhook")),
        ):
            if value:
                secrets.set(kind, value)
                stored.append(tr(what))
    except KeyringUnavailable as exc:
        raise CommandError(str(exc)) from None
    echo(tr("Saved in the system keyring: {what}.").format(what=", ".join(stored)))


def secret_missing_words(profile: str, kind: SecretKind) -> str:
    """A missing secret, said the command line's way (the window says «enter it in the
    connection settings», which exists only there)."""
    text = (
        tr(
            "the 1C password of profile «{name}» is not set: store it with "
            "`desktop-sync profile secret {name}`, or set {env}"
        )
        if kind is SecretKind.ONEC_PASSWORD
        else tr(
            "the Bitrix24 webhook of profile «{name}» is not set: store it with "
            "`desktop-sync profile secret {name}`, or set {env}"
        )
    )
    return text.format(name=profile, env=kind.env)


@profile_group.command("remove")
@click.argument("name")
@pass_context
def remove(ctx: Context, name: str) -> None:
    """Remove a profile and its secrets from the keyring (the journal is kept)."""
    profile = ctx.store.get(name)
    try:
        at_logon = ctx.store.forget(profile)  # its secrets and its start at logon too
    except KeyringUnavailable as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(_no_logon_start(exc)) from None
    if at_logon is False:
        echo(tr("Starting at logon is not supported on this system; nothing was changed."))
    echo(tr("Profile «{name}» removed.").format(name=name))
