"""Shared test set-up: no display, no real keyring, no user config touched."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import summaries

if TYPE_CHECKING:
    from tests.pgcluster import PgCluster

# Under Wine (.ci/wine/run) the QT_* variables of the caller do not reach Windows
# programs: this is where the Windows Python gets its offscreen platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["DESKTOP_SYNC_LANG"] = "en"
for _var in (
    "DESKTOP_SYNC_ONEC_PASSWORD",
    "DESKTOP_SYNC_CRM_SECRET",
    "DESKTOP_SYNC_JOURNAL_PASSWORD",
    "DESKTOP_SYNC_HOME",
):
    os.environ.pop(_var, None)


def pytest_addoption(parser: pytest.Parser) -> None:
    # Registered here, not in tests/sim or tests/reliability, so that `pytest --soak`
    # works without naming a folder (a sub-folder's conftest is read too late for that).
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="simulation and reliability harness: the soak size (60 days, more seeds)",
    )


@pytest.fixture(autouse=True)
def _memory_keyring() -> Iterator[None]:
    """Every test gets the project's in-memory keyring; the user's is never touched."""
    import keyring

    from desktop_sync.config.memory_keyring import MemoryKeyring
    from desktop_sync.redact import forget_secrets

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        yield
    finally:
        MemoryKeyring.clear()
        keyring.set_keyring(previous)
        # A secret one test registered (a password "wrong") must not mask another's words.
        forget_secrets()


@pytest.fixture(autouse=True)
def _own_log_file() -> Iterator[None]:
    """A test that runs the CLI in-process leaves the app's log handler on its own home
    (``setup_logging`` is idempotent); the next test on the same worker must start
    without it, or its messages name the other test's log file."""
    yield
    from desktop_sync.logsetup import close_logging

    close_logging()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One throwaway PostgreSQL for the session (tests/pgcluster.py); skipped where it
    cannot start, a failure in CI on Linux."""
    from tests.pgcluster import start_cluster

    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private DESKTOP_SYNC_HOME for one test."""
    root = tmp_path / "home"
    monkeypatch.setenv("DESKTOP_SYNC_HOME", str(root))
    return root


# ---- Windows: tests known to fail there until their fix lands (issue 24) -------------
# The Windows run (.ci/wine/run, and the GitHub Windows job) marks these xfail on
# Windows only, so it stays a gate for everything else meanwhile. xfail is strict: a
# test that passes again fails as XPASS, and its line here is removed. A test can also
# carry @pytest.mark.windows_known("reason") itself.
WINDOWS_KNOWN: dict[str, str] = {
    # Not a defect: the README's ```sh block is run with bash, which Windows lacks.
    "tests/cli/test_readme.py::test_the_readme_runs_as_written_after_the_demo": (
        "runs the README's sh block with bash"
    ),
}
# Known failures that would hang (a prompt waiting on a console): not run at all.
WINDOWS_KNOWN_HANGS: frozenset[str] = frozenset()
# Modules that cannot even be imported on Windows: a POSIX-only standard module
# (fcntl, resource, termios, pty…) imported at module level. Not collected there, and
# named at the end of the run; the fix is to import it inside the tests that need it.
POSIX_ONLY = re.compile(r"^(?:import|from) (fcntl|grp|pty|pwd|resource|termios|tty)\b", re.M)
_not_on_windows: dict[str, str] = {}


def not_on_windows_lines(counts: summaries.Counts) -> list[str]:
    return [
        f"not collected on Windows: {name} imports {module} (POSIX only) at module level"
        for name, module in sorted(counts.items())
    ]


summaries.provide("POSIX-only modules", "tests.conftest:not_on_windows_lines", _not_on_windows.copy)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if sys.platform != "win32" or collection_path.suffix != ".py":
        return None
    found = POSIX_ONLY.search(collection_path.read_text(encoding="utf-8"))
    if found is None:
        return None
    _not_on_windows[collection_path.name] = found.group(1)
    return True


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # The harnesses' sections (tests/summaries.py): under pytest-xdist the controller
    # prints what its workers counted; a worker prints nothing (nobody sees it).
    config = terminalreporter.config
    if not hasattr(config, "workeroutput"):
        controller = bool(getattr(config.option, "numprocesses", None))
        summaries.write(terminalreporter, controller=controller)


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: its counts go to the controller
        workeroutput[summaries.WORKER_KEY] = summaries.own()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """pytest-xdist's controller, as each worker ends: add up its counts."""
    summaries.receive(getattr(node, "workeroutput", {}).get(summaries.WORKER_KEY, {}))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "windows_known(reason): fails on Windows until its issue-24 fix lands "
        "(strict xfail there, nothing elsewhere)",
    )


# ---- the longest files first (CI: pytest-xdist, whole files to a worker) --------------
# `.ci/run` and `.ci/wine/run` pass --no-loadscope-reorder, so pytest-xdist hands out files
# in this collection order (its default orders them by their number of tests, which put
# the one-test files last: test_systems_gone's 128 s started when the rest was done, and
# the other worker waited). The longest files go first, the others keep their order:
# whatever is left at the end is short. Measured by file, slowest first
# (docs/decisions/ci-time.md, 7 December); a file missing here only runs later.
LONGEST_FIRST: tuple[str, ...] = (
    "tests/cli/test_systems_gone.py",
    "tests/e2e/test_sync_e2e.py",
    "tests/cli/test_environment.py",
    "tests/sim/test_simulation.py",
    "tests/e2e/test_products_day2.py",
    "tests/reliability/test_paid_same_run_kills.py",
    "tests/cli/test_inbox_words.py",
    "tests/e2e/test_issued_invoices.py",
    "tests/cli/test_russian_output.py",
    "tests/e2e/test_money_e2e.py",
    "tests/reliability/test_kills.py",
    "tests/e2e/test_scenarios.py",
    "tests/e2e/test_inbox_decisions.py",
    "tests/e2e/test_deal_contact_e2e.py",
    "tests/test_benchmarks_quick.py",
    "tests/reliability/test_person_contact_kills.py",
    "tests/reliability/test_bad_input.py",
    "tests/reliability/test_closing_kills.py",
    "tests/e2e/test_deals_e2e.py",
    "tests/reliability/test_issued_kills.py",
    "tests/e2e/test_relink.py",
    "tests/e2e/test_invoice_pdf_sync.py",
    "tests/cli/test_demo.py",
    "tests/reliability/test_person_kills.py",
    "tests/e2e/test_closing_e2e.py",
    "tests/reliability/test_deal_kills.py",
    "tests/test_layers.py",
    "tests/e2e/test_invoice_pdf_cli.py",
    "tests/cli/test_fuzz.py",
    "tests/cli/test_interrupt.py",
)


def _longest_first(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    last = len(LONGEST_FIRST)
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], last))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _longest_first(items)
    if sys.platform != "win32":
        return
    for item in items:
        marker = item.get_closest_marker("windows_known")
        base = item.nodeid.split("[", 1)[0]
        reason = WINDOWS_KNOWN.get(item.nodeid) or WINDOWS_KNOWN.get(base, "")
        if marker is not None:
            reason = str(marker.args[0]) if marker.args else "issue 24"
        if reason:
            hangs = item.nodeid in WINDOWS_KNOWN_HANGS or base in WINDOWS_KNOWN_HANGS
            item.add_marker(
                pytest.mark.xfail(reason=f"known on Windows: {reason}", strict=True, run=not hangs)
            )
