"""What every command gets: paths, the chosen profile name, output mode."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import click

from desktop_sync.config import AppPaths, ProfileStore
from desktop_sync.domain.money import dumps_decimal
from desktop_sync.exitcodes import Exit


class CommandError(Exception):
    """A failure with its exit code and a one-line reason for the person."""

    def __init__(self, message: str, code: Exit = Exit.USAGE) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Context:
    paths: AppPaths
    profile_name: str | None

    @property
    def store(self) -> ProfileStore:
        return ProfileStore(self.paths.profiles_file)


pass_context = click.make_pass_decorator(Context)


def emit_json(obj: Any) -> None:
    """One JSON object on stdout (the ``--json`` contract)."""
    sys.stdout.write(dumps_decimal(obj) + "\n")
    sys.stdout.flush()


def echo(text: str = "") -> None:
    click.echo(text)


__all__ = ["CommandError", "Context", "echo", "emit_json", "json", "pass_context"]
