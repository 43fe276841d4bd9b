"""Commands of the contract whose issues have not landed yet.

Each answers with a clear one-line "not yet available" (exit 2), never a fake.
"""

from __future__ import annotations

import click

from desktop_sync.cli.context import CommandError
from desktop_sync.i18n import tr


def _pending(name: str, help_text: str) -> click.Command:
    @click.command(
        name,
        help=help_text,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )
    def command() -> None:
        raise CommandError(tr("`{name}` is not available in this version yet").format(name=name))

    return command


PENDING_COMMANDS: list[click.Command] = [
    _pending("check", "Connect to both systems and report what is missing."),
    _pending("status", "An invoice's payment and shipment state."),
]
