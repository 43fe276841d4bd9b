"""``desktop-sync demo [--headless]``: both sandboxes, a ``demo`` profile, the window.

The sandboxes serve the small seeded data set on free loopback ports for as long
as this process lives; closing the window (or the end of the headless run) stops
them. The ``demo`` profile is created, or refreshed with a new UUID so that a
fresh sandbox never meets the journal links of an earlier demo session.

Secrets: the sandboxes' demo password and webhook never touch the disk and no OS
keyring is needed.

- ``--headless`` puts them in ``DESKTOP_SYNC_ONEC_PASSWORD`` and
  ``DESKTOP_SYNC_CRM_SECRET`` of this process (the environment wins over the
  keyring; the process runs exactly one profile).
- The window keeps them in an in-memory keyring instead, and clears those two
  variables from this process: the window lists every profile, and an environment
  secret would be used for *any* of them — choosing a real profile would then read
  the sandbox's CRM and write into the real 1C. With the in-memory keyring the
  demo secrets belong to the demo profile's UUID alone, and a real profile opened
  in the demo window finds no secret and says so.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

import click

from desktop_sync.cli.context import CommandError, Context, echo, pass_context
from desktop_sync.config import AppPaths, Profile
from desktop_sync.config.environment import secrets_environment
from desktop_sync.config.secrets import SecretKind
from desktop_sync.engine.profiles_door import ProfilesDoor
from desktop_sync.i18n import tr

log = logging.getLogger(__name__)

DEMO_PROFILE = "demo"
DEMO_SEED = 1
DEMO_SIZE = "small"
DEMO_SEND_STAGE = "DT31_1:UC_TO1C"  # «Передать в 1С»: the seeded portal's stage for it
DEMO_ISSUED_SINCE = "2026-02-01"  # the seed's story ends on 2026-03-16


@dataclasses.dataclass(frozen=True)
class DemoSandboxes:
    onec_url: str
    onec_user: str
    onec_password: str
    crm_url: str
    crm_webhook: str


@contextmanager
def running_sandboxes(
    host: str = "127.0.0.1", configuration: str = "bp30"
) -> Iterator[DemoSandboxes]:
    """Both sandboxes on free ports of ``host``, stopped when the block ends."""
    from desktop_sync.sandbox import bitrix24, onec

    one = onec.start(host, 0, seed=DEMO_SEED, size=DEMO_SIZE, configuration=configuration)
    try:
        crm = bitrix24.start(host, 0, seed=DEMO_SEED, size=DEMO_SIZE, rate_limit=False)
    except BaseException:
        one.stop()
        raise
    try:
        yield DemoSandboxes(one.url, one.user, one.password, crm.url, crm.webhook)
    finally:
        crm.stop()
        one.stop()


def check_demo_name_free(store: ProfilesDoor) -> None:
    """A real profile that happens to be called ``demo`` is never overwritten."""
    existing = store.load().get(DEMO_PROFILE)
    if existing is not None and not existing.demo:
        raise CommandError(
            tr(
                "a profile named «{name}» exists and is not a demo profile; "
                "rename or remove it to run the demo"
            ).format(name=DEMO_PROFILE)
        )


def demo_profile(store: ProfilesDoor, boxes: DemoSandboxes, configuration: str = "bp30") -> Profile:
    """Create or refresh the ``demo`` profile (a new UUID: a fresh journal for fresh data)."""
    check_demo_name_free(store)
    profile = Profile(
        name=DEMO_PROFILE,
        onec_url=boxes.onec_url,
        onec_user=boxes.onec_user,
        crm_url=boxes.crm_url,
        configuration=configuration,
        stages={"send": DEMO_SEND_STAGE},
        # F9: the seeded wholesale pipeline's «Согласовано» deals become 1C documents
        deal_stages={"1": {"send": "C1:UC_AGREED", "paid": "C1:UC_PAID"}},
        issued_since=DEMO_ISSUED_SINCE,  # F8: the seeded 1C invoices of the story's last weeks
        crm_throttle=False,  # the sandbox runs with its rate limit off
        demo=True,
    ).validate()
    store.put(profile)
    return profile


def _secrets_in_memory_keyring(profile: Profile, boxes: DemoSandboxes) -> None:
    import keyring

    from desktop_sync.config.memory_keyring import MemoryKeyring
    from desktop_sync.config.secrets import SecretStore

    for kind in SecretKind:
        os.environ.pop(kind.env, None)
    keyring.set_keyring(MemoryKeyring())  # type: ignore[no-untyped-call]
    store = SecretStore(profile.uuid)
    store.set(SecretKind.ONEC_PASSWORD, boxes.onec_password)
    store.set(SecretKind.CRM_SECRET, boxes.crm_webhook)


def _setup_crm(paths: AppPaths, profile: Profile) -> None:
    """What an administrator runs once (``desktop-sync setup``): the CRM's custom fields.

    A failure reaches ``cli.main`` as it is: words and exit code from ``errors.describe``.
    """
    from desktop_sync.engine.service import SyncService

    with SyncService.open(profile, paths) as svc:
        svc.setup()


def _headless(paths: AppPaths, profile: Profile) -> int:
    from desktop_sync.cli.progress import TerminalProgress, enabled
    from desktop_sync.cli.sync_cmds import outcome_exit, print_plan, print_summary
    from desktop_sync.engine.service import SyncService

    # A failure reaches cli.main as it is: words and exit code from errors.describe.
    with SyncService.open(profile, paths) as svc, TerminalProgress(enabled(False)) as bar:
        echo(tr("== Dry run: what a synchronization would change"))
        summary, plan = svc.dry_run(bar, trigger="cli")
        print_plan(plan)
        print_summary(summary)
        echo()
        echo(tr("== Synchronization"))
        summary, _plan = svc.run(bar, trigger="cli", operations=False)
        print_summary(summary)
    code = int(outcome_exit(summary.outcome))
    echo()
    echo(exit_meaning(code))
    return code


def exit_meaning(code: int) -> str:
    """What the demo's exit code says, for a person who sees it in a script or CI."""
    from desktop_sync.exitcodes import Exit

    meanings = {
        Exit.OK: tr("Exit code 0: done, nothing waits for a person."),
        Exit.WAITING: tr(
            "Exit code 3: done; some items wait for a person (the demo data holds conflicts "
            "and attention items on purpose) — this is the expected end of the demo."
        ),
        Exit.PARTIAL: tr("Exit code 4: some changes failed; the next run resumes them."),
        Exit.CANNOT_CONNECT: tr("Exit code 5: a sandbox could not be reached."),
    }
    return meanings.get(Exit(code), tr("Exit code {code}.").format(code=code))


def _window(ctx: Context, profile: Profile, smoke: bool) -> int:
    if smoke:
        from desktop_sync.cli.smoke_cmd import run_gui_until_ready

        return run_gui_until_ready(ctx.paths, profile.name, wait_for_data=True)
    from desktop_sync.cli.gui_launch import launch_gui

    return launch_gui(Context(paths=ctx.paths, profile_name=profile.name))


@click.command("demo")
@click.option(
    "--headless", is_flag=True, help="no window: run a full demo synchronization and print it"
)
@click.option(
    "--configuration",
    type=click.Choice(["bp30", "ut11"]),
    default="bp30",
    show_default=True,
    help="the 1C configuration of the demo base (bp30: Бухгалтерия 3.0, ut11: УТ 11)",
)
@click.option("--smoke", is_flag=True, hidden=True, help="open the window, wait for data, quit")
@pass_context
def demo_cmd(ctx: Context, headless: bool, configuration: str, smoke: bool) -> None:
    """Start both sandboxes with seeded data and open the app on them."""
    code: int
    if not headless:
        from desktop_sync.cli.gui_launch import check_can_open_window

        check_can_open_window()
    check_demo_name_free(ctx.store)
    with running_sandboxes(configuration=configuration) as boxes:
        profile = demo_profile(ctx.store, boxes, configuration)
        echo(
            tr("Demo data: 1C sandbox at {onec}, Bitrix24 sandbox at {crm}.").format(
                onec=boxes.onec_url, crm=boxes.crm_url
            )
        )
        echo(
            tr("Profile «{name}» points at them; the sandboxes stop when this ends.").format(
                name=profile.name
            )
        )
        if headless:
            with secrets_environment(boxes.onec_password, boxes.crm_webhook):
                _setup_crm(ctx.paths, profile)
                code = _headless(ctx.paths, profile)
        else:
            _secrets_in_memory_keyring(profile, boxes)
            _setup_crm(ctx.paths, profile)
            code = _window(ctx, profile, smoke)
    if code:
        raise SystemExit(int(code))
