"""``desktop-sync sandbox``: faults aimed at each side, one CA for both servers."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop_sync.sandbox.faults import FaultSpecError, split_faults
from tests.killing import HANG


def test_faults_are_split_by_side() -> None:
    sides = split_faults("onec:lost:0.1, crm:503burst:0.2,timeout:0.02,crm:500:1@crm.item.list")
    assert sides == {
        "onec": "lost:0.1,timeout:0.02",
        "crm": "503burst:0.2,timeout:0.02,500:1@crm.item.list",
    }
    assert split_faults("") == {"onec": "", "crm": ""}
    # The old syntax keeps working for what both sides know.
    assert split_faults("500:0.1,drop:0.05") == {
        "onec": "500:0.1,drop:0.05",
        "crm": "500:0.1,drop:0.05",
    }


@pytest.mark.parametrize(
    ("spec", "side", "known"),
    [
        ("lost:0.1", None, "onec"),  # 1C's only: named, never half applied
        ("badjson:0.1", None, "crm"),
        ("onec:badjson:0.1", "onec", ""),
        ("crm:lost:0.5", "crm", ""),
        ("crm:500:2", "crm", ""),
        ("nonsense:0.1", None, ""),
    ],
)
def test_a_fault_a_side_cannot_take_is_refused(spec: str, side: str | None, known: str) -> None:
    with pytest.raises(FaultSpecError) as info:
        split_faults(spec)
    assert info.value.side == side
    assert info.value.known == known


EXE = shutil.which("desktop-sync", path=str(Path(sys.executable).parent)) or "desktop-sync"


def _env(home: Path, lang: str = "en") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_SYNC_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["DESKTOP_SYNC_HOME"] = str(home)
    env["DESKTOP_SYNC_LANG"] = lang
    return env


def test_the_command_says_which_side_and_how_to_write_it(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [EXE, "sandbox", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=_env(tmp_path, "ru"),
            timeout=HANG,
            check=False,
        )

    result = run("--faults", "500:0.1,lost:0.1")
    assert result.returncode == 2, result.stderr
    assert "«lost:0.1»" in result.stderr
    assert "onec:lost:0.1" in result.stderr
    assert "песочница 1С" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    result = run("--faults", "crm:lost:0.1")
    assert result.returncode == 2
    assert "«crm:lost:0.1»" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    help_text = subprocess.run(
        [EXE, "sandbox", "--help"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(tmp_path),
        timeout=HANG,
        check=False,
    ).stdout
    assert "onec:KIND:F" in help_text and "crm:KIND:F" in help_text


def _serve(home: Path, args: list[str]) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [EXE, "sandbox", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=_env(home),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise AssertionError(proc.communicate()[1])
    return proc, json.loads(line)


def test_tls_one_ca_verifies_both_and_each_side_gets_its_faults(tmp_path: Path) -> None:
    proc, info = _serve(tmp_path, ["--tls", "--faults", "onec:html200:1,crm:503:1"])
    try:
        ca = info["ca_file"]
        assert info["onec"]["url"].startswith("https://")
        assert info["crm"]["url"].startswith("https://")
        verify = ssl.create_default_context(cafile=ca)
        with httpx.Client(verify=verify, timeout=10.0) as h:
            onec = h.get(
                info["onec"]["url"] + "/Catalog_Валюты?$format=json",
                auth=(info["onec"]["user"], info["onec"]["password"]),
            )
            crm = h.post(info["crm"]["webhook"] + "crm.item.list", json={"entityTypeId": 31})
        # Both handshakes verified with the one announced CA; each side got its fault.
        assert onec.status_code == 200 and onec.text.lstrip().startswith("<")  # html200
        assert crm.status_code == 503
        assert crm.json()["error"] == "QUERY_LIMIT_EXCEEDED"
    finally:
        proc.terminate()
        proc.communicate(timeout=HANG)  # closes the pipes
