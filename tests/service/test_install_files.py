"""The service's install files (packaging/service/) start a command this program takes."""

from __future__ import annotations

import configparser
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from desktop_sync.cli.main import cli
from desktop_sync.cli.service_cmd import parse_every
from desktop_sync.cli.words import hoist_global_options

FOLDER = Path(__file__).resolve().parents[2] / "packaging" / "service"
NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def _parses(args: list[str]) -> None:
    """The arguments are a valid ``service`` command line (its --help answers)."""
    assert args[0] == "service" and "--every" in args
    parse_every(args[args.index("--every") + 1])
    argv = hoist_global_options([*args, "--help"])
    assert argv is not None
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output


def test_the_systemd_unit(home: Path) -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(FOLDER / "desktop-sync@.service", encoding="utf-8")
    service = unit["Service"]
    exe, *args = shlex.split(service["ExecStart"].replace("%i", "shop"))
    assert exe.endswith("/desktop-sync")
    _parses(args)
    assert service["KillSignal"] == "SIGTERM" and service["RestartPreventExitStatus"] == "2"
    assert "PASSWORD" not in service.get("Environment", "")  # secrets: the env file only
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_windows_task(home: Path) -> None:
    task = ET.parse(FOLDER / "desktop-sync-service.xml").getroot()
    exec_ = task.find("t:Actions/t:Exec", NS)
    assert exec_ is not None
    command = exec_.findtext("t:Command", namespaces=NS) or ""
    assert command.strip('"').endswith("desktop-sync.exe")
    _parses(shlex.split(exec_.findtext("t:Arguments", namespaces=NS) or ""))
    settings = task.find("t:Settings", NS)
    assert settings is not None
    assert settings.findtext("t:ExecutionTimeLimit", namespaces=NS) == "PT0S"  # runs for days
    assert settings.findtext("t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"
    assert task.find("t:Triggers/t:BootTrigger", NS) is not None
