"""The README's blocks, as written, in order, on a fresh home (issue 20, item 3).

The demo comes first (the Quick start), then every line of the "Using it" block is
run by the shell exactly as a newcomer pastes it. Only the addresses differ: the
example 1C and Bitrix24 URLs are pointed at our sandboxes on loopback, and the
secrets come from the two environment variables the README names (this machine has
no keyring).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from desktop_sync.sandbox import bitrix24, onec

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXE = shutil.which("desktop-sync", path=str(BIN)) or "desktop-sync"
EXAMPLE_ONEC = "https://1c.example.ru/accounting/odata/standard.odata"
EXAMPLE_CRM = "https://shop.bitrix24.ru"
CONTRACT_SUCCESS = {0, 3}  # done; done with items waiting for a person


def using_it_block() -> list[str]:
    """The commands of the first ```sh block under "## Using it", one per line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using it", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the Using it section has a ```sh block"
    joined = block.group(1).replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def test_the_block_is_what_a_newcomer_needs() -> None:
    commands = using_it_block()
    assert commands[0].startswith("desktop-sync profile add shop")
    assert any(c.startswith("desktop-sync sync --dry-run") for c in commands)
    assert any(c.startswith("desktop-sync sync --apply") for c in commands)
    assert EXAMPLE_ONEC in commands[0] and EXAMPLE_CRM in commands[0]


def test_the_readme_runs_as_written_after_the_demo(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        DESKTOP_SYNC_HOME=str(home),
        DESKTOP_SYNC_LANG="ru",
    )
    # Quick start, step 1, on a machine without a display.
    demo = subprocess.run(
        [EXE, "demo", "--headless"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert demo.returncode in CONTRACT_SUCCESS, demo.stderr[-2000:]
    assert "Код выхода" in demo.stdout  # the demo says what its exit code means

    one = onec.start(port=0)
    crm = bitrix24.start(port=0, rate_limit=False)
    try:
        env["DESKTOP_SYNC_ONEC_PASSWORD"] = one.password
        env["DESKTOP_SYNC_CRM_SECRET"] = crm.webhook
        for command in using_it_block():
            line = command.replace(EXAMPLE_ONEC, one.url).replace(EXAMPLE_CRM, crm.url)
            result = subprocess.run(
                ["bash", "-c", line],
                capture_output=True,
                text=True,
                encoding="utf-8",
                env=env,
                timeout=300,
                check=False,
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
            )
            assert result.returncode in CONTRACT_SUCCESS, (command, result.stderr[-2000:])
            assert "Traceback" not in result.stdout + result.stderr
    finally:
        crm.stop()
        one.stop()
    assert (tmp_path / "journal.xlsx").is_file()
