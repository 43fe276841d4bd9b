"""F8 with F3/F4 in one run, under SIGKILL: invoices issued in 1C that are already paid
(in full, in part) or shipped there reach the CRM in the run that creates them, with
their payment notes, the Bitrix24 payment marked paid, the "paid" stage, the shipment
and the printed PDF (tests/e2e/test_issued_paid_same_run.py). Here a real
``desktop-sync sync --apply`` is killed at each write request of that chain in turn:

- ``held``: the portal executes the request and holds its answer; the process is killed
  while the journal says "sending" and the CRM has the write (the outcome is unknown);
- ``refused``: the portal refuses the request (503, not executed) until the kill: the
  journal says "sending", the CRM has nothing.

After each kill the program is started again (one run) and must finish the chain: each
invoice once in the CRM, one Bitrix24 payment marked paid, one note per payment, one
PDF; the run after plans nothing. The points are found, not listed: the n-th write
request of the run, for every n up to one more than the chain has. One world per
configuration serves every point (each point issues its own three invoices).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from desktop_sync.exitcodes import Exit
from desktop_sync.sandbox.bitrix24.faults import FaultPlan
from tests.e2e.conftest import World, noted, set_profile
from tests.e2e.test_issued_invoices import crm_of, issue, onec_invoice
from tests.e2e.test_issued_paid_same_run import PAID, SINCE
from tests.killing import HANG, kill_hard, reaped, was_killed

from .checks import CONFIGURATIONS, journal_problems, open_world, service
from .conftest import Tally, soak_enabled
from .test_kills import start_apply

READS = (".list", ".get", ".fields", ".status")  # what a request only reads


def _writes(method: str) -> bool:
    return method not in ("batch", "scope") and not method.endswith(READS)


class StopAtWrite(FaultPlan):
    """From the run's ``n``-th write request on, every write request gets ``kind``:
    ``timeout`` (executed, the answer held) or ``503`` (refused, not executed). A batch
    request writes when any of its commands does."""

    def __init__(self, n: int, kind: str) -> None:
        super().__init__("", 7)
        self.n, self.kind, self.seen = n, kind, 0
        self.timeout_seconds = 60.0

    def draw(self, method: str, carried: frozenset[str] = frozenset()) -> str | None:
        if not any(_writes(m) for m in carried or {method}):
            return None
        with self._lock:
            self.seen += 1
            return self.kind if self.seen >= self.n else None


@dataclass(frozen=True)
class Chain:
    """Three invoices issued in 1C with what the chain writes for them."""

    full: str  # paid in full by two payments
    part: str  # paid in part
    ship: str  # half shipped
    numbers: tuple[str, ...]  # the 1C documents: two payments, one, a shipment
    total: Decimal
    some: Decimal
    shipment: str


def issue_chain(world: World, point: int) -> Chain:
    numbers = tuple(f"9{point:02d}{k}" for k in range(1, 5))
    full, part, ship = issue(world, 13), issue(world, 14, (1,)), issue(world, 15, (2, 1))
    total = onec_invoice(world, full).total
    half = (total / 2).quantize(Decimal("0.01"))
    world.story.payment([(full, half)], numbers[0], 16)
    world.story.payment([(full, total - half)], numbers[1], 17)
    some = (onec_invoice(world, part).total * Decimal("0.4")).quantize(Decimal("0.01"))
    world.story.payment([(part, some)], numbers[2], 16)
    shipment = world.story.shipment(ship, numbers[3], Decimal("0.5"))
    return Chain(full, part, ship, numbers, total, some, shipment.ref)


def _timeline(world: World, crm_id: int) -> tuple[list[str], int]:
    """The comments' texts on a CRM invoice, and how many carry a file (the PDF)."""
    st = world.crm.store
    with st.lock:
        rows = [r for r in st.comments.rows.values() if int(r["ENTITY_ID"]) == crm_id]
    return [str(r.get("COMMENT") or "") for r in rows], sum(1 for r in rows if r.get("FILES"))


def _payments(world: World, crm_id: int) -> list[str]:
    st = world.crm.store
    with st.lock:
        return [str(p["paid"]) for p in st.payments if p["entityId"] == crm_id]


def chain_problems(world: World, chain: Chain) -> Counter[str]:
    """What the CRM lacks (``lost``) or has twice (``duplicated``) of the chain's writes,
    by kind; empty when it is all there exactly once."""
    found: Counter[str] = Counter()
    made = {ref: crm_of(world, ref) for ref in (chain.full, chain.part, chain.ship)}
    for invoices in made.values():
        found["lost invoice"] += not invoices
        found["duplicated invoice"] += max(len(invoices) - 1, 0)
    if any(len(m) != 1 for m in made.values()):
        return +found
    (full,), (part,), (ship,) = made[chain.full], made[chain.part], made[chain.ship]
    notes = {}
    for ci in (full, part, ship):
        texts, pdfs = _timeline(world, ci.invoice.crm_id or 0)
        found["lost pdf"] += pdfs == 0
        found["duplicated pdf"] += max(pdfs - 1, 0)
        notes[ci.invoice.crm_id] = texts
    for crm_id, number in (
        (full, chain.numbers[0]),
        (full, chain.numbers[1]),
        (part, chain.numbers[2]),
    ):
        n = noted(notes[crm_id.invoice.crm_id], number)
        found["lost note"] += n == 0
        found["duplicated note"] += max(n - 1, 0)
    paid = _payments(world, full.invoice.crm_id or 0)
    found["lost payment"] += "Y" not in paid
    found["duplicated payment"] += max(len(paid) - 1, 0)
    found["lost paid amount"] += full.fields.paid != chain.total or full.fields.outstanding != 0
    found["lost paid stage"] += full.stage_id != PAID
    found["lost part payment"] += part.fields.paid != chain.some or part.stage_id == PAID
    shipped = world.story.shipped(chain.shipment)
    found["lost shipment"] += ship.fields.shipped != shipped or chain.numbers[3] not in (
        ship.fields.shipment_doc or ""
    )
    return +found


def _faulted(world: World, start: int, kind: str) -> bool:
    """The portal has answered (or holds) a request of the run with ``kind``."""
    with world.crm.stats.lock:
        return any(e.fault == kind for e in world.crm.stats.log[start:])


def killed_at(world: World, n: int, kind: str) -> bool:
    """One ``sync --apply`` killed at its ``n``-th write request; False when the run
    ended before it (every point passed)."""
    portal = world.crm.portal
    portal.faults = StopAtWrite(n, kind)
    start = len(world.crm.stats.log)
    try:
        with reaped(start_apply(world, output=False)) as proc:
            hang = time.monotonic() + HANG
            while proc.poll() is None and not _faulted(world, start, kind):
                assert time.monotonic() < hang, f"no write request {n} in {HANG:.0f} s"
                time.sleep(0.005)
            if proc.poll() is None:  # not when the run has ended before the point
                kill_hard(proc)
            _out, err = proc.communicate(timeout=HANG)
    finally:  # the process is gone: nothing of it can reach the portal unfaulted
        portal.faults = FaultPlan("", 7)
        portal.stopping.set()  # release a held answer's thread at once
        portal.stopping.clear()
    if was_killed(proc.returncode):
        return True
    assert proc.returncode in (Exit.OK, Exit.WAITING), err
    return False


POINTS = 8  # write requests of the chain killed at (7 now); more than it has: skipped


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The CRM's requests are the same on both configurations: CI kills each point once,
    answers held on BP 3.0 and refused on UT 11; ``--soak`` runs all four."""
    pairs = [("bp30", "timeout"), ("ut11", "503")]
    if soak_enabled(metafunc.config):
        pairs = [(c, k) for c in CONFIGURATIONS for k in ("timeout", "503")]
    ids = [f"{c}-{'held' if k == 'timeout' else 'refused'}" for c, k in pairs]
    metafunc.parametrize(("configuration", "kind"), pairs, ids=ids, scope="module")


@pytest.fixture(scope="module")
def chain_world(tmp_path_factory: pytest.TempPathFactory, configuration: str) -> Iterator[World]:
    """One world per configuration (and per test worker) for every point: the seed's own
    writes done, so that a killed run writes only the chain issued for its point."""
    with (
        pytest.MonkeyPatch.context() as mp,
        open_world(tmp_path_factory.mktemp("chain"), mp, configuration=configuration) as world,
    ):
        set_profile(world, ("onec.invoices_since", SINCE), ("stage.paid", PAID))
        with service(world) as svc:
            svc.run()
        yield world


def _restart_and_check(world: World, chain: Chain, tally: Tally) -> None:
    """The program started again finishes the chain: nothing lost, nothing twice, the
    journal sound, and the run after it plans nothing."""
    with service(world) as svc:
        summary, _plan = svc.run()
    assert summary.counts.get("failed", 0) == 0, summary.failures
    problems = chain_problems(world, chain)
    tally.lost += sum(v for k, v in problems.items() if k.startswith("lost"))
    tally.duplicated += sum(v for k, v in problems.items() if k.startswith("dup"))
    assert not problems, dict(problems)
    assert journal_problems(world.paths.journal_path()) == []
    with service(world) as svc:
        _s, plan = svc.run()
    assert [op.reason for op in plan.operations] == []


@pytest.mark.parametrize("point", range(1, POINTS + 1))
def test_killed_at_a_write_of_the_same_run_chain_loses_nothing_and_makes_no_twin(
    chain_world: World, kind: str, point: int, tally: Tally
) -> None:
    tally.tried += 1
    chain = issue_chain(chain_world, point)
    killed = killed_at(chain_world, point, kind)
    tally.kills += killed
    _restart_and_check(chain_world, chain, tally)
    tally.passed += 1
    if not killed:
        pytest.skip(f"the chain has fewer than {point} write requests")


def test_the_points_cover_the_whole_chain(chain_world: World, kind: str, tally: Tally) -> None:
    """A run stopped at the write after the last point is never stopped: every write
    request of the chain had its point above (and the uninterrupted chain is whole)."""
    tally.tried += 1
    chain = issue_chain(chain_world, POINTS + 1)
    assert not killed_at(chain_world, POINTS + 1, kind), f"more than {POINTS} write requests"
    _restart_and_check(chain_world, chain, tally)
    tally.passed += 1
