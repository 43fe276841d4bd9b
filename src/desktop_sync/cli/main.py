"""The ``desktop-sync`` command: the same engine without a window.

Exit codes are a public contract (``desktop_sync.exitcodes``). Nothing here ever
prints a traceback: a usage or configuration problem is one line on stderr and
exit 2; a bug is one line naming the log file and exit 1, with the details in
the log.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import click

from desktop_sync.cli.context import CommandError, Context
from desktop_sync.cli.failures import explain, private_files, private_folders
from desktop_sync.cli.words import (
    hoist_global_options,
    install_click_translations,
    translate_command,
)
from desktop_sync.config import AppPaths
from desktop_sync.exitcodes import Exit
from desktop_sync.i18n import tr
from desktop_sync.logsetup import current_log_file, setup_logging
from desktop_sync.redact import scrub
from desktop_sync.stdio import person_present, prepare_stdio, report_startup_error

log = logging.getLogger(__name__)

# Each command's module is imported only when that command runs (or --help lists it):
# `desktop-sync --version` and a scheduled `sync` do not pay for the others' imports.
COMMANDS: dict[str, str] = {
    "profile": "desktop_sync.cli.profile_cmds:profile_group",
    "sync": "desktop_sync.cli.sync_cmds:sync_cmd",
    "inbox": "desktop_sync.cli.sync_cmds:inbox_group",
    "setup": "desktop_sync.cli.sync_cmds:setup_cmd",
    "check": "desktop_sync.cli.sync_cmds:check_cmd",
    "status": "desktop_sync.cli.status_cmd:status_cmd",
    "invoice": "desktop_sync.cli.invoice_cmd:invoice_group",
    "journal": "desktop_sync.cli.journal_cmds:journal_cmd",
    "sandbox": "desktop_sync.cli.sandbox_cmd:sandbox_cmd",
    "service": "desktop_sync.cli.service_cmd:service_cmd",
    "demo": "desktop_sync.cli.demo_cmd:demo_cmd",
    "smoke-gui": "desktop_sync.cli.smoke_cmd:smoke_gui_cmd",
    "smoke-keyring": "desktop_sync.cli.smoke_cmd:smoke_keyring_cmd",
    "smoke-pdf": "desktop_sync.cli.smoke_cmd:smoke_pdf_cmd",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module, _, attr = COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, click.Command)
            return translate_command(command)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _show_version(ctx, value),
    help="Show the version and exit.",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="DESKTOP_SYNC_HOME",
    help="keep config, data and logs in this one folder (also DESKTOP_SYNC_HOME)",
)
@click.option(
    "--profile",
    "profile_name",
    default=None,
    help="profile to use (default: the only one, or 'default')",
)
@click.pass_context
def cli(click_ctx: click.Context, home: str | None, profile_name: str | None) -> None:
    """desktop-sync: keeps 1C and Bitrix24 in step, under a person's supervision.

    Without a command, opens the window.
    """
    paths = AppPaths.resolve(home)
    paths.ensure()
    private_folders(paths)
    opens_window = click_ctx.invoked_subcommand is None
    # A box for errors only where a person clicked (window, demo); never for a scheduled run.
    person_present(click_ctx.invoked_subcommand in (None, "demo"))
    service = click_ctx.invoked_subcommand == "service"  # long-lived: a log file of its own
    setup_logging(
        paths.gui_log_file
        if opens_window
        else paths.service_log_file
        if service
        else paths.log_file
    )
    if paths.home is not None:
        _warn_network_home(paths.home)
    click_ctx.obj = Context(paths=paths, profile_name=profile_name)
    if click_ctx.invoked_subcommand is None:
        from desktop_sync.cli.gui_launch import launch_gui

        sys.exit(launch_gui(click_ctx.obj))


def _show_version(ctx: click.Context, value: bool) -> None:
    """``--version`` as click's own option says it; the version is read only here."""
    if not value or ctx.resilient_parsing:
        return
    from desktop_sync import __version__

    click.echo(
        tr("%(prog)s, version %(version)s") % {"prog": "desktop-sync", "version": __version__}
    )
    ctx.exit()


def _warn_network_home(home: Path) -> None:
    from desktop_sync.config.netdrive import is_network_path

    if is_network_path(home):
        text = tr(
            "warning: {home} is on a network drive; the journal (SQLite) may be damaged "
            "there. Keep --home on a local disk."
        ).format(home=home)
        log.warning("%s", text)
        click.echo(f"desktop-sync: {text}", err=True)


def _fail(message: str, code: Exit) -> int:
    text = f"desktop-sync: {scrub(message)}"
    click.echo(text, err=True)
    if current_log_file() is not None:  # before logging is set up, stderr alone
        log.warning("%s (exit %d)", text, int(code))
    report_startup_error(text)  # the windowless executable has no stderr: a message box
    return int(code)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (for tests and ``main``)."""
    prepare_stdio()
    logging.raiseExceptions = False  # a log that cannot be written never prints a traceback
    private_files()
    install_click_translations()
    translate_command(cli)
    try:
        cli.main(args=hoist_global_options(argv), prog_name="desktop-sync", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        return int(Exit.USAGE)
    except click.UsageError as exc:
        hint = f" ({tr('see')} `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        return _fail(exc.format_message().splitlines()[0] + hint, Exit.USAGE)
    except click.exceptions.Abort as exc:
        # click turns Ctrl+C (SIGINT) into Abort; a prompt left without an answer is one too
        if isinstance(exc.__cause__, KeyboardInterrupt):
            return _fail(tr("interrupted"), Exit.PARTIAL)
        return _fail(tr("cancelled"), Exit.USAGE)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        return _fail(exc.format_message(), Exit.USAGE)
    except CommandError as exc:
        return _fail(str(exc), exc.code)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        return _fail(tr("interrupted"), Exit.PARTIAL)
    except Exception as exc:  # ours, the environment's or a bug: one door, errors.describe
        known = explain(exc)
        if known is not None:
            return _fail(*known)
        log.exception("internal error")
        from desktop_sync.config import AppPaths as _Paths

        where = current_log_file() or _Paths.resolve().log_file
        return _fail(
            tr("internal error — this is a bug; the details are in {log}").format(log=where),
            Exit.INTERNAL,
        )
    return int(Exit.OK)


def main() -> None:
    sys.exit(run(sys.argv[1:]))
