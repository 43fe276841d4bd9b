"""The command line under random use: only exit codes of the contract, one line of reason.

Hypothesis composes command lines from the real commands and their options with
wrong flags, missing or extra arguments, bad addresses, missing folders, global
options before or after the subcommand, and homes in several states (fresh, a
profile whose systems are unreachable, a home that is a file). Every run must end
with an exit code of the README's contract (0, 2, 3, 4, 5, 6 — never 1, which is
for bugs) and, when it fails, say why in one line starting with ``desktop-sync:``.

In-process (``desktop_sync.cli.main.run``) for speed; the subprocess tests beside
this file cover the console script itself.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_sync.cli.main import run
from desktop_sync.config.environment import secrets_environment
from desktop_sync.logsetup import close_logging

CONTRACT = {0, 2, 3, 4, 5, 6}
UNREACHABLE = [  # loopback ports where nothing listens
    "--onec-url",
    "http://127.0.0.1:9/b/odata/standard.odata",
    "--onec-user",
    "u",
    "--crm-url",
    "http://127.0.0.1:9",
]

URLS = [
    "https://1c.example.ru/b/odata/standard.odata",
    "https://example.com/base",
    "http://10.0.0.1/b/odata/standard.odata",
    "http://127.0.0.1:9/b/odata/standard.odata",
    "not a url",
    "ftp://x",
    "",
]
CRM_URLS = ["https://s.bitrix24.ru", "http://127.0.0.1:9", "http://10.0.0.1", "x", ""]
NAMES = ["shop", "demo", "nobody", "", "имя с пробелом", "../x"]
INVOICES = ["1", "2/2026", "crm:5", "СЧ-0001", "#3", "", "abc", "crm:x"]
FLOWS = ["F1", "F1,F7", "F9", "x", ""]
KEYS = ["stage.send", "warehouse.Склад", "bogus", "schedule_minutes", "configuration"]
VALUES = ["DT31_1:S", "abc", "-5", "1", "ut11", ""]
JUNK = ["--bogus", "-x", "--json", "--profile", "--home", "--", "--help=no"]


def _maybe(strategy: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    return st.one_of(st.just([]), strategy)


def _flag(name: str) -> st.SearchStrategy[list[str]]:
    return _maybe(st.just([name]))


def _option(name: str, values: list[str]) -> st.SearchStrategy[list[str]]:
    return _maybe(st.sampled_from(values).map(lambda v: [name, v]))


def _concat(*parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    return st.tuples(*parts).map(lambda lists: [x for part in lists for x in part])


def commands(export_targets: list[str]) -> st.SearchStrategy[list[str]]:
    profile_add = _concat(
        st.just(["profile", "add"]),
        _maybe(st.sampled_from(NAMES).map(lambda n: [n])),
        _option("--onec-url", URLS),
        _option("--onec-user", ["Бухгалтер", ""]),
        _option("--crm-url", CRM_URLS),
        _option("--configuration", ["bp30", "ut11", "x"]),
    )
    profile_other = st.one_of(
        st.just(["profile"]),
        st.just(["profile", "list"]),
        _concat(st.just(["profile", "show"]), st.sampled_from(NAMES).map(lambda n: [n])),
        _concat(
            st.just(["profile", "set"]),
            st.sampled_from(NAMES).map(lambda n: [n]),
            _maybe(st.sampled_from(KEYS).map(lambda k: [k])),
            _maybe(st.sampled_from(VALUES).map(lambda v: [v])),
        ),
        _concat(st.just(["profile", "remove"]), st.sampled_from(NAMES).map(lambda n: [n])),
    )
    sync = _concat(
        st.just(["sync"]),
        _flag("--dry-run"),
        _flag("--apply"),
        _option("--only", FLOWS),
        _flag("--full"),
        _flag("--json"),
    )
    inbox = st.one_of(
        _concat(st.just(["inbox"]), _flag("--json")),
        _concat(
            st.just(["inbox", "resolve"]),
            _maybe(st.sampled_from(["10", "#10", "x", "-1", ""]).map(lambda v: [v])),
            _option("--take", ["onec", "crm", "value", "x"]),
            _option("--value", ["5", ""]),
            _flag("--skip"),
            _flag("--confirm"),
        ),
    )
    journal = _concat(
        st.just(["journal"]),
        _option("--run", ["1", "abc", "-3", "999999"]),
        _option("--export", export_targets),
        _flag("--json"),
    )
    others = st.one_of(
        _concat(st.just(["check"]), _flag("--json")),
        _concat(st.just(["setup"]), _flag("--json")),
        _concat(
            st.just(["status"]),
            _maybe(st.sampled_from(INVOICES).map(lambda v: [v])),
            _flag("--json"),
        ),
        # (Not an empty command line: that opens the window, tested in test_environment.)
        st.sampled_from([["no-such-command"], ["demo", "--configuration", "x"]]),
    )
    body = st.one_of(profile_add, profile_other, sync, inbox, journal, others)
    junk = _maybe(st.sampled_from(JUNK).map(lambda j: [j]))
    profile = _option("--profile", ["shop", "shop", "shop", *NAMES])
    return st.tuples(profile, body, junk, profile, st.booleans()).map(
        lambda t: (t[0] + t[1] + t[2] + t[3]) if t[4] else (t[1] + t[0] + t[2] + t[3])
    )


def invoke(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    umask = os.umask(0o022)
    os.umask(umask)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = run(argv)
    finally:
        os.umask(umask)
        close_logging()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    root = tmp_path_factory.mktemp("fuzz")
    cwd = Path.cwd()
    os.chdir(root)  # a relative --home the fuzz makes up lands here
    fresh = root / "fresh"
    unreachable = root / "unreachable"
    file_home = root / "a-file"
    file_home.write_text("not a folder")
    code, _, err = invoke(["--home", str(unreachable), "profile", "add", "shop", *UNREACHABLE])
    assert code == 0, err
    try:
        yield {"fresh": fresh, "unreachable": unreachable, "a-file": file_home}
    finally:
        os.chdir(cwd)


def check_contract(argv: list[str], code: int, out: str, err: str) -> None:
    assert code in CONTRACT, (argv, code, err)
    assert "Traceback" not in out + err, (argv, err)
    if code == 0:
        return
    if "Usage:" in err:  # a bare group (`profile`) shows its help
        return
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, (argv, err)
    assert lines[0].startswith("desktop-sync: "), (argv, err)


@settings(
    max_examples=int(os.environ.get("DESKTOP_SYNC_FUZZ_EXAMPLES", "300")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_command_lines_keep_the_contract(
    homes: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    exports = tmp_path_factory.getbasetemp() / "exports"
    exports.mkdir(exist_ok=True)
    targets = [
        str(exports / "j.csv"),
        str(exports / "j.xlsx"),
        str(exports / "j.txt"),
        str(exports / "no" / "such" / "j.csv"),
        str(exports / "missing" / "j.xlsx"),
        str(exports),
        "HOME/j.csv",  # inside the home: a file when the home is a file
    ]
    kind = data.draw(st.sampled_from(sorted(homes)), label="home")
    # Each example on its own copy of the home: examples stay independent (a
    # `profile remove` in one does not change what the next one meets).
    home = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp())) / kind
    if homes[kind].is_dir():
        shutil.copytree(homes[kind], home)
    elif homes[kind].exists():
        shutil.copy(homes[kind], home)
    argv = data.draw(commands([t.replace("HOME", str(home)) for t in targets]), label="argv")
    full = ["--home", str(home), *argv]
    os.environ.pop("DESKTOP_SYNC_ONEC_PASSWORD", None)
    code, out, err = invoke(full)
    check_contract(full, code, out, err)


@pytest.mark.parametrize(
    "argv",
    [
        ["sync", "--dry-run"],
        ["sync", "--apply", "--json"],
        ["check"],
        ["setup"],
        ["status", "1"],
    ],
)
def test_unreachable_systems_are_exit_5(tmp_path: Path, argv: list[str]) -> None:
    with secrets_environment("x", "http://127.0.0.1:9/rest/1/abc/"):
        home = ["--home", str(tmp_path / "home")]
        added = invoke([*home, "profile", "add", "shop", *UNREACHABLE])
        assert added[0] == 0, added
        code, out, err = invoke([*home, *argv])
    check_contract(argv, code, out, err)
    assert code == 5, err


# Beside the random ones, every representative command on every kind of home.
GRID = [
    ["sync", "--dry-run"],
    ["sync", "--apply", "--only", "F9"],
    ["sync", "--dry-run", "--profile", "shop"],
    ["check", "--json"],
    ["setup"],
    ["status", "crm:x"],
    ["status", "1", "--profile", "nobody"],
    ["inbox"],
    ["inbox", "resolve", "#10", "--skip"],
    ["inbox", "resolve", "10", "--take", "value"],
    ["journal", "--run", "999999"],
    ["journal", "--export", "EXPORTS/no/such/j.csv"],
    ["journal", "--export", "EXPORTS/missing/j.xlsx"],
    ["journal", "--export", "EXPORTS/j.txt"],
    ["journal", "--export", "HOME/j.csv"],
    ["journal", "--export", "EXPORTS"],
    ["profile", "add", "x", "--onec-url", "https://example.com/base", "--onec-user", "u",
     "--crm-url", "https://s.bitrix24.ru"],
    ["profile", "add", "y", "--onec-url", "http://10.0.0.1/b", "--onec-user", "u",
     "--crm-url", "https://s.bitrix24.ru"],
    ["profile", "set", "shop", "bogus", "1"],
    ["profile", "set", "shop", "schedule_minutes", "-5"],
    ["profile", "show", "shop"],
    ["profile", "remove", "nobody"],
    ["no-such-command"],
    ["sync", "--bogus"],
]  # fmt: skip


@pytest.mark.parametrize("kind", ["fresh", "unreachable", "a-file"])
def test_every_representative_command_on_every_home(
    homes: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    for argv in GRID:
        home = tmp_path / "homes" / str(GRID.index(argv)) / kind
        home.parent.mkdir(parents=True)
        if homes[kind].is_dir():
            shutil.copytree(homes[kind], home)
        elif homes[kind].exists():
            shutil.copy(homes[kind], home)
        args = [a.replace("EXPORTS", str(exports)).replace("HOME", str(home)) for a in argv]
        full = ["--home", str(home), *args]
        code, out, err = invoke(full)
        check_contract(full, code, out, err)
