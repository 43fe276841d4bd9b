"""A 1C private person who is a CRM contact with the same ИНН, under SIGKILL: the seeded
person «Иванов Дмитрий Сергеевич» (a customer of a 1C invoice) and CRM contact 2, read
because a smart invoice of the contact alone waits at the send stage. A real
``desktop-sync sync --apply`` is killed twice at a random point of the F7/F1 writes, then
run to its end: no CRM company is ever made for the person, the person is linked to
the contact once, and the next run plans nothing and raises nothing about them (before,
a run stopped between F7's company and the link left «Контрагент: изменено в CRM»
conflicts on every later run). The same when the contact has no invoice and is found by
the person's ИНН (engine/read_persons)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from desktop_sync.exitcodes import Exit
from tests.e2e.test_person_is_contact import (
    companies_with_inn,
    invoice_for,
    person_links,
    seed_person,
)

from .checks import open_world
from .conftest import Tally
from .killed_runs import apply_killed_twice, by_configuration_and_seed
from .test_kills import cli_apply

pytest_generate_tests = by_configuration_and_seed


@pytest.mark.parametrize("read_by", ["invoice", "lookup"])
def test_killed_runs_make_no_company_of_a_person_who_is_a_contact(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    configuration: str,
    seed: int,
    tally: Tally,
    read_by: str,
) -> None:
    """``read_by``: the contact comes with its own smart invoice, or has none and is
    found by the person's ИНН (engine/read_persons)."""
    rng = random.Random(f"person-contact/{configuration}/{seed}/{read_by}")
    tally.tried += 1
    with open_world(
        tmp_path, monkeypatch, onec_faults="delay:0.005", configuration=configuration
    ) as world:
        onec_ref, contact_id = seed_person(world)
        if read_by == "invoice":
            invoice_for(world, contact_id)
        killed = apply_killed_twice(world, rng, ("F1", "F7"), 10)
        tally.kills += killed
        assert companies_with_inn(world) == []
        final = cli_apply(world)
        assert final.returncode in (Exit.OK, Exit.WAITING), final.stderr
        with world.service() as svc:
            _s, plan = svc.run()
        twins = companies_with_inn(world)
        tally.duplicated += len(twins)
        assert twins == []
        assert person_links(world, onec_ref) == [f"contact/{contact_id}"]
        assert plan.operations == (), [op.reason for op in plan.operations]
        ours = {onec_ref, f"contact/{contact_id}"}
        assert [i.message for i in plan.items if i.record_id in ours] == []
        tally.passed += 1
        tally.notes.append(f"person-contact ({read_by}) seed {seed}: {killed}/2 runs killed")
