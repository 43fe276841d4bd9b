"""The Wine run's witness of a process in which no Python ever started.

Under Wine a test once saw `desktop-sync inbox resolve #999 --skip` end with exit 1 and
nothing on stdout or stderr, where the command always says why it fails. A console-script
launcher (`desktop-sync.exe`, distlib's `t64.exe`) that cannot start `python.exe` ends
just so: its "Fatal error in launcher" is buffered by its C runtime when stderr is a pipe
and dropped by its `ExitProcess(1)`. `.ci/wine/sitecustomize.py` (loaded by every process
of the Wine run's Windows Python) now tells such an end apart from our command's own
exit 1 and says it beside the failing test. Here on Linux its logic runs against a
stand-in `_winapi`; under Wine (`.ci/wine/run`) with a real launcher that cannot start.
"""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import types
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.killing import HANG

SITECUSTOMIZE = Path(__file__).resolve().parents[2] / ".ci" / "wine" / "sitecustomize.py"
STARTED = "DESKTOP_SYNC_WINE_STARTED"


class FakeWinapi(types.ModuleType):
    """What the file uses of `_winapi`: each process made gets a handle and an exit code."""

    def __init__(self) -> None:
        super().__init__("_winapi")
        self.made: list[tuple[Any, ...]] = []
        self.codes: dict[int, int] = {}

    def CreateProcess(self, *args: Any) -> tuple[int, int, int, int]:
        self.made.append(args)
        handle = 100 + 2 * len(self.made)
        return handle, handle + 1, 4000 + len(self.made), 5000 + len(self.made)

    def GetExitCodeProcess(self, handle: int) -> int:
        return self.codes[handle]


def load(monkeypatch: pytest.MonkeyPatch, fake: FakeWinapi) -> types.ModuleType:
    monkeypatch.setitem(sys.modules, "_winapi", fake)
    spec = importlib.util.spec_from_file_location("wine_sitecustomize", SITECUSTOMIZE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def launcher(path: Path) -> Path:
    """An .exe with a zip appended, as a console-script launcher is made."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as zf:
        zf.writestr("__main__.py", "print('hi')\n")
    path.write_bytes(b"MZ launcher\r\n" + b'#!"python.exe"\r\n' + stream.getvalue())
    return path


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeWinapi:
    monkeypatch.setenv("TEMP", str(tmp_path))
    monkeypatch.setenv("DESKTOP_SYNC_WINE_SPAWN_LOG", str(tmp_path / "spawn.log"))
    monkeypatch.delenv(STARTED, raising=False)
    made = FakeWinapi()
    load(monkeypatch, made)
    return made


def start(fake: FakeWinapi, command: str, env: dict[str, str] | None = None) -> int:
    create: Callable[..., tuple[int, int, int, int]] = fake.CreateProcess
    handle, _thread, _pid, _tid = create(None, command, None, None, True, 0, env, None, None)
    return handle


def test_a_launcher_ending_1_before_any_python_started_is_said(
    fake: FakeWinapi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exe = launcher(tmp_path / "desktop-sync.exe")
    handle = start(fake, f'"{exe}" inbox resolve #999 --skip', env={"A": "1"})
    env = fake.made[-1][6]
    assert env["A"] == "1" and env[STARTED].startswith(str(tmp_path))  # its Python's file
    fake.codes[handle] = 1
    assert fake.GetExitCodeProcess(handle) == 1  # the code itself is untouched
    said = capsys.readouterr().err
    assert "inbox resolve #999 --skip" in said and "no Python ever started" in said, said
    assert "no Python ever started" in (tmp_path / "spawn.log").read_text(encoding="utf-8")


def test_an_exit_1_of_a_python_that_started_is_left_to_the_test(
    fake: FakeWinapi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exe = launcher(tmp_path / "desktop-sync.exe")
    handle = start(fake, f'"{exe}" sync')  # the caller's environment, inherited
    env = fake.made[-1][6]
    assert env["TEMP"] == str(tmp_path)  # os.environ, passed on whole
    marker = Path(env[STARTED])
    marker.touch()  # what the child's Python does when it loads the file
    fake.codes[handle] = 1
    assert fake.GetExitCodeProcess(handle) == 1
    assert capsys.readouterr().err == ""
    assert not marker.exists()  # nothing left behind
    assert not (tmp_path / "spawn.log").exists()


def test_other_programs_are_started_as_they_were(
    fake: FakeWinapi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "tool.exe"
    plain.write_bytes(b"MZ not a launcher")
    handle = start(fake, f'"{plain}" /c exit 1')
    assert fake.made[-1][6] is None  # no variable added, the environment inherited
    fake.codes[handle] = 1
    assert fake.GetExitCodeProcess(handle) == 1
    assert capsys.readouterr().err == ""


def test_a_python_that_starts_says_so_and_passes_nothing_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "started"
    monkeypatch.setenv(STARTED, str(marker))
    load(monkeypatch, FakeWinapi())
    assert marker.exists()
    assert STARTED not in os.environ  # the processes it starts get their own


def _witness_installed() -> bool:
    return sys.platform == "win32" and hasattr(sys.modules.get("sitecustomize"), "_STARTED")


@pytest.mark.skipif(not _witness_installed(), reason="the Wine run's Windows Python only")
def test_under_wine_a_launcher_that_cannot_start_python_is_said(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # on purpose here: not counted with the run's real ones (.ci/wine/run prints those)
    monkeypatch.delenv("DESKTOP_SYNC_WINE_SPAWN_LOG", raising=False)
    real = Path(sys.executable).with_name("desktop-sync.exe").read_bytes()
    head, _, tail = real.rpartition(b'#!"')
    script = tail.split(b"\r\n", 1)[1]  # the zip after the shebang line
    broken = tmp_path / "desktop-sync.exe"
    broken.write_bytes(head + b'#!"' + str(tmp_path / "no-python.exe").encode() + b'"\r\n' + script)
    done = subprocess.run(
        [str(broken), "--version"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=HANG,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    # What the test of 7 December saw: exit 1 and nothing at all (the launcher's words lost)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "")
    said = capfd.readouterr().err
    assert "no Python ever started" in said and "--version" in said, said
