"""Faults on both sides during apply; every run ends in a defined outcome; then clean runs
converge to the end state of a fault-free run of the same seed: nothing lost, nothing twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_sync.engine.model import Outcome, Plan
from desktop_sync.engine.service import ConnectError
from desktop_sync.sandbox.onec.faults import Faults
from tests.e2e.conftest import World

from .checks import (
    CONFIGURATIONS,
    State,
    creates_exactly_once,
    diff,
    journal_problems,
    open_world,
    secrets_found,
    service,
    state,
)
from .conftest import Tally, soak_enabled

# (crm faults, 1C faults): the CRM grammar is sandbox/bitrix24/faults.py, 1C's is
# sandbox/onec/faults.py. "drop"/"timeout" on the CRM and "lost" in 1C do the write
# and lose the answer; html200 is 1C's login page with HTTP 200.
CI_CASES = {
    "crm-5xx-html-badjson": ("500:0.08,html502:0.05,badjson:0.03", ""),
    "crm-lost-answers": ("drop:0.08,timeout:0.04", ""),
    "onec-5xx-html200-lost": ("", "500:0.05,html:0.03,html200:0.03,lost:0.06"),
    "both-mixed": ("500:0.05,drop:0.05,503:0.05", "503:0.04,drop:0.03,lost:0.04"),
}
SOAK_CASES = {
    **CI_CASES,
    "crm-heavy": ("500:0.15,html500:0.1,drop:0.1,timeout:0.05,badjson:0.05,503:0.1", ""),
    "onec-heavy": ("", "500:0.1,503:0.1,html:0.05,html200:0.05,drop:0.05,lost:0.1"),
    "both-heavy": ("500:0.1,drop:0.1,html502:0.05", "500:0.1,lost:0.1,html200:0.05"),
    # creates travel 25 to a batch: a dropped batch loses the answers of all its writes
    "crm-lost-writes-only": (
        "drop:0.5@crm.company.add,drop:0.5@catalog.product.add,drop:0.5@crm.requisite.add,"
        "drop:0.4@batch,timeout:0.3@crm.item.update",
        "",
    ),
}

DEFINED = {Outcome.DONE, Outcome.WAITING, Outcome.PARTIAL}
SETTLE_RUNS = 5


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "configuration" in metafunc.fixturenames:
        metafunc.parametrize("configuration", CONFIGURATIONS, scope="module")
    if "case" in metafunc.fixturenames:
        cases = SOAK_CASES if soak_enabled(metafunc.config) else CI_CASES
        seeds = (1, 2) if soak_enabled(metafunc.config) else (1,)
        params = [(name, seed) for name in cases for seed in seeds]
        metafunc.parametrize("case", params, ids=[f"{n}-s{s}" for n, s in params])


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, configuration: str) -> Iterator[State]:
    """The fault-free end state (same seed, same data, same 1C configuration)."""
    with (
        pytest.MonkeyPatch.context() as mp,
        open_world(tmp_path_factory.mktemp("ref"), mp, configuration=configuration) as world,
    ):
        converge(world)
        yield state(world)


def converge(world: World) -> Plan:
    for _ in range(SETTLE_RUNS):
        with service(world) as svc:
            _summary, plan = svc.run()
        if not plan.operations:
            return plan
    raise AssertionError(f"no convergence in {SETTLE_RUNS} clean runs: {plan.operations[:3]}")


def _onec_faults(world: World, spec: str, seed: int) -> Counter[str]:
    """Set the 1C sandbox's fault fractions (its public attributes); count what fires."""
    faults = world.onec.faults
    fresh = Faults(spec, seed)
    faults.fractions[:] = fresh.fractions
    faults.delay = fresh.delay
    fired: Counter[str] = Counter()
    draw = Faults.draw

    def counting(method: str = "GET") -> str | None:
        kind = draw(faults, method)
        if kind:
            fired[kind] += 1
        return kind

    faults.draw = counting  # type: ignore[method-assign]
    return fired


def test_faults_then_clean_runs_converge(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[str, int],
    configuration: str,
    reference: State,
    tally: Tally,
) -> None:
    name, seed = case
    crm_faults, onec_faults = (SOAK_CASES | CI_CASES)[name]
    tally.tried += 1
    with open_world(tmp_path, monkeypatch, configuration=configuration) as world:
        with service(world) as svc:
            _s, plan0 = svc.dry_run()
        # faulted runs: each one ends in a defined outcome, never a crash
        world.crm.set_faults(crm_faults, timeout_seconds=0.2)
        onec_fired = _onec_faults(world, onec_faults, seed)
        outcomes: list[str] = []
        for _ in range(2):
            try:
                with service(world) as svc:
                    summary, _plan = svc.run()
                assert summary.outcome in DEFINED, summary.outcome
                outcomes.append(summary.outcome.value)
            except ConnectError as exc:  # exit 5: a read failed past its retries
                outcomes.append(f"cannot_connect: {exc}")
        for text in (o for o in outcomes if o.startswith("cannot_connect")):
            assert text.removeprefix("cannot_connect: ").startswith(("1C: ", "Bitrix24: ")), text
        fired = sum(world.crm.stats.faults.values())
        assert fired or not crm_faults, "no CRM fault fired: the case tests nothing"
        assert onec_fired or not onec_faults, "no 1C fault fired: the case tests nothing"
        # faults gone: the settling run, then clean runs until nothing is left to do
        world.crm.set_faults("")
        _onec_faults(world, "", seed)
        converge(world)
        lost, dup, lines = diff(reference, state(world))
        tally.lost += lost
        tally.duplicated += dup
        assert (lost, dup) == (0, 0), "\n".join(lines[:20])
        assert creates_exactly_once(world, plan0.operations) == []
        assert journal_problems(world.paths.journal_path()) == []
        assert secrets_found(world) == []
        assert world.crm.stats.internal_errors == []  # a sandbox bug would void the test
        tally.passed += 1
        tally.notes.append(f"{name}: {outcomes}, {fired} CRM faults")
        print(f"\n{name}: {outcomes}", dict(world.crm.stats.faults), dict(onec_fired))
