"""Progress on a terminal, none in a pipe; the XLSX export opens anywhere (issue 20).

The progress test runs the real console script on a pseudo-terminal (as a person
at a console sees it) and through a pipe (as a scheduled task runs it), against the
sandboxes. The export test writes what the systems' error texts can hold.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest

from desktop_sync.sandbox import bitrix24, onec
from tests.killing import HANG

EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, str]]:
    one = onec.start(port=0)
    crm = bitrix24.start(port=0, rate_limit=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env.update(
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        DESKTOP_SYNC_HOME=str(tmp_path / "home"),
        DESKTOP_SYNC_LANG="en",
        DESKTOP_SYNC_ONEC_PASSWORD=one.password,
        DESKTOP_SYNC_CRM_SECRET=crm.webhook,
    )
    try:
        added = subprocess.run(
            [EXE, "profile", "add", "shop", "--onec-url", one.url, "--onec-user", one.user,
             "--crm-url", crm.url],
            env=env, capture_output=True, text=True, encoding="utf-8", timeout=HANG, check=False,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        yield env
    finally:
        crm.stop()
        one.stop()


def on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``argv`` with a 120×40 pseudo-terminal as its stdout and stderr."""
    import fcntl  # POSIX only: the module is collected on Windows too
    import pty
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=HANG), out.decode("utf-8", "replace")


PHASES = ("Reading 1C", "Reading the CRM")


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal is POSIX")
def test_sync_shows_its_progress_on_a_terminal(world: dict[str, str]) -> None:
    code, text = on_a_terminal([EXE, "sync", "--dry-run"], world)
    assert code in (0, 3), text[-2000:]
    for phase in PHASES:
        assert phase in text, text[-3000:]
    # counts and a rate, and the time left when the phase knows its total, as tqdm
    # draws them: "12/40 [00:01<00:02, 9.5/s]" or "120 [00:01, 95.0/s]"
    bar = r"\d+(/\d+)? \[\d\d:\d\d(<\d\d:\d\d)?, [\d.?]+/s\]"
    assert re.search(bar, text), text[-3000:]


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal is POSIX")
def test_no_progress_in_a_pipe_or_with_json(world: dict[str, str]) -> None:
    piped = subprocess.run(
        [EXE, "sync", "--dry-run"], env=world, capture_output=True, text=True,
        encoding="utf-8", timeout=HANG, check=False,
    )  # fmt: skip
    assert piped.returncode in (0, 3), piped.stderr
    assert not any(p in piped.stdout + piped.stderr for p in PHASES)
    code, text = on_a_terminal([EXE, "sync", "--dry-run", "--json"], world)
    assert code in (0, 3)
    assert not any(p in text for p in PHASES)


def test_xlsx_export_holds_control_characters_and_speaks_russian(tmp_path: Path) -> None:
    from desktop_sync.cli.journal_cmds import HEADERS, OP_COLUMNS
    from desktop_sync.i18n import set_language, tr
    from desktop_sync.xlsx import write_xlsx

    path = tmp_path / "j.xlsx"
    try:
        set_language("ru")
        header = [tr(HEADERS[c]) for c in OP_COLUMNS]
    finally:
        set_language("en")
    rows = [
        [1, "F1", "create", "1С", "invoice", "a", "b", "ошибка", "1C said:\x0bline\x00two\x1f",
         "", Decimal("7.50"), "2026-03-01T00:00:00"],
    ]  # fmt: skip
    write_xlsx(path, header, rows, sheet="Журнал")
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(z.read(name))  # every part is well-formed XML
        shared = z.read("xl/sharedStrings.xml").decode("utf-8")
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "№" in shared and "Операция" in shared and "Причина" in shared
    assert "_x000B_" in shared  # the control character, escaped as Excel expects
    assert "<v>7.5</v>" in sheet  # amounts stay numbers
