"""Every option a person can see in `--help` says what it is for, in both languages.

`profile add --configuration [bp30|ut11]`, `sandbox --size`, `--seed`, `--rate-limit`,
`--host` showed a name and a default and nothing else.
"""

from __future__ import annotations

import importlib
import re

import click

from desktop_sync.cli.main import COMMANDS, cli
from desktop_sync.i18n import set_language, tr


def _options(command: click.Command, path: str) -> list[tuple[str, click.Option]]:
    found = [
        (path, p)
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden and "--help" not in p.opts
    ]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if not sub.hidden:
                found += _options(sub, f"{path} {name}")
    return found


def every_option() -> list[tuple[str, click.Option]]:
    found = _options(cli, "desktop-sync")
    for name, spec in COMMANDS.items():
        module, _, attr = spec.partition(":")
        command = getattr(importlib.import_module(module), attr)
        if not command.hidden:
            found += _options(command, f"desktop-sync {name}")
    return found


def test_every_visible_option_has_its_help() -> None:
    bare = [f"{path} {'/'.join(opt.opts)}" for path, opt in every_option() if not opt.help]
    assert bare == []


def test_every_options_help_is_in_russian() -> None:
    """Each help has its Russian (a command already loaded may hold it translated)."""
    set_language("ru")
    try:
        untranslated = [
            f"{path} {'/'.join(opt.opts)}"
            for path, opt in every_option()
            if opt.help and not re.search("[а-яё]", tr(opt.help), re.IGNORECASE)
        ]
    finally:
        set_language("en")
    assert untranslated == []
