"""The command line in the person's language, and global options anywhere.

- click's own messages («No such option», «Missing argument», «Usage:», …) go
  through our catalog (``resources/locale/ru/click.po``) instead of gettext's;
- every command's help text and option help is translated when the command is
  loaded (``translate_command``), from the English source in the code;
- ``--home`` and ``--profile`` are accepted after the subcommand too
  (``desktop-sync sync --dry-run --profile shop``): they are moved in front of it.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import click

from desktop_sync.i18n import tr

GLOBAL_OPTIONS = ("--home", "--profile")
_TYPE_METAVARS: dict[type[Any], str] = {
    click.types.StringParamType: "TEXT",
    click.types.IntParamType: "INTEGER",
    click.types.FloatParamType: "FLOAT",
    click.types.Path: "PATH",
}
_CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.types",
    "click.termui",
)


def _gettext(message: str) -> str:
    return tr(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return tr(singular if n == 1 else plural)


def install_click_translations() -> None:
    """Make click's messages speak through ``tr`` (idempotent)."""
    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - a click without that module
            continue
        if hasattr(module, "_"):
            module._ = _gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext  # type: ignore[attr-defined]
    # Named in «'abc' is not a valid integer»: the types' own names.
    click.types.IntParamType.name = tr("integer")
    click.types.FloatParamType.name = tr("float")


def translate_command(command: click.Command) -> click.Command:
    """Translate a command's help, its options' help, and its subcommands' (once)."""
    if getattr(command, "_desktop_sync_translated", False):
        return command
    command._desktop_sync_translated = True  # type: ignore[attr-defined]
    if command.help:
        command.help = tr(inspect.cleandoc(command.help))
    if command.short_help:
        command.short_help = tr(command.short_help)
    if command.options_metavar:
        command.options_metavar = tr(command.options_metavar)
    if isinstance(command, click.Group) and command.subcommand_metavar:
        command.subcommand_metavar = tr(command.subcommand_metavar)
    for param in command.params:
        if isinstance(param, click.Option) and param.help:
            param.help = tr(param.help)
        if param.metavar is None and not isinstance(param.type, click.Choice):
            if isinstance(param, click.Argument) and param.name:
                param.metavar = tr(param.name.upper())
            elif isinstance(param, click.Option) and not param.is_flag:
                param.metavar = tr(_TYPE_METAVARS.get(type(param.type), param.type.name.upper()))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            translate_command(sub)
    return command


def hoist_global_options(argv: list[str] | None) -> list[str] | None:
    """Move ``--home``/``--profile`` (and their values) in front of the subcommand."""
    if argv is None:
        return None
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            if "=" in arg:
                front.append(arg)
            elif i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                front.extend(argv[i : i + 2])
                i += 1
            else:
                rest.append(arg)  # no value: click says so
        else:
            rest.append(arg)
        i += 1
    return front + rest
