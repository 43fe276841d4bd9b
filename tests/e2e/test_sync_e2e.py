"""The engine end to end: real clients, both sandboxes, real HTTP on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from desktop_sync.config.secrets import SecretKind, SecretStore
from desktop_sync.connectors.bitrix24 import Bitrix24Client
from desktop_sync.engine.model import Flow, OpKind, Outcome
from desktop_sync.engine.service import ConnectError
from tests.killing import HANG, journal_states, kill_hard, reaped, was_killed

from .conftest import World, make_world


def crm_state(world: World) -> dict[str, Counter[str]]:
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        companies = c.companies.read()
        products = c.catalog.products()
    return {
        "origins": Counter(co.origin_id or f"none-{co.counterparty.crm_id}" for co in companies),
        "xml": Counter(p.xml_id or f"none-{p.product.crm_id}" for p in products),
        "inn_kpp": Counter(
            f"{rq.inn}/{rq.kpp}" for co in companies for rq in co.counterparty.requisites
        ),
    }


def onec_state(world: World) -> Counter[str]:
    with world.story.client() as c:
        return Counter(f"{cp.inn}/{cp.kpp}" for cp in c.counterparties() if cp.inn)


def test_dry_run_writes_nothing(world: World) -> None:
    before_crm, before_onec = crm_state(world), onec_state(world)
    writes_before = sum(n for m, n in world.onec.stats.by_method.items() if m != "GET")
    with world.service() as svc:
        summary, plan = svc.dry_run()
    assert summary.counts["planned"] == len(plan.operations) > 0
    assert summary.counts["applied"] == 0
    assert crm_state(world) == before_crm
    assert onec_state(world) == before_onec
    writes_after = sum(n for m, n in world.onec.stats.by_method.items() if m != "GET")
    assert writes_after == writes_before


def test_apply_converges_and_second_apply_does_nothing(world: World) -> None:
    with world.service() as svc:
        first, plan = svc.run()
    assert first.counts["applied"] == len(plan.operations) > 0
    assert first.counts["failed"] == 0
    assert first.outcome in (Outcome.DONE, Outcome.WAITING)
    state = crm_state(world)
    ours = {k: v for k, v in state["origins"].items() if not k.startswith("none-")}
    assert ours and max(ours.values()) == 1  # no twin companies
    with world.service() as svc:
        second, plan2 = svc.run()
    assert plan2.operations == ()
    assert second.counts["applied"] == 0
    assert crm_state(world) == state


def test_new_counterparty_in_1c_reaches_crm_once(world: World) -> None:
    with world.service() as svc:
        svc.run()
    with world.service() as svc:
        summary, plan = svc.run(flows=(Flow.F7,))
    assert plan.operations == ()
    assert summary.outcome in (Outcome.DONE, Outcome.WAITING)


def test_wrong_password_is_a_clear_connect_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTOP_SYNC_ONEC_PASSWORD", "wrong-пароль")
    with world.service() as svc, pytest.raises(ConnectError) as info:
        svc.dry_run()
    text = str(info.value)
    assert text.startswith("1C: ")  # the system named in the language (English here)
    assert "wrong-пароль" not in text and world.crm.webhook not in text


def test_cli_sync_json_and_exit_codes(world: World) -> None:
    exe = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
    assert exe
    env = {
        **os.environ,
        **world.env(),
        "DESKTOP_SYNC_LANG": "en",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    dry = subprocess.run(
        [exe, "sync", "--dry-run", "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )
    data = json.loads(dry.stdout)
    assert dry.returncode in (0, 3), dry.stderr
    assert data["mode"] == "dry_run"
    for key in ("planned", "applied", "failed", "conflict", "attention", "skipped"):
        assert key in data["counts"]
    assert data["flows"]["F7"]["planned"] > 0
    applied = subprocess.run(
        [exe, "sync", "--apply", "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=300,
        check=False,
    )
    result = json.loads(applied.stdout)
    assert applied.returncode in (0, 3), applied.stderr
    assert result["counts"]["applied"] == data["counts"]["planned"]
    assert world.crm.webhook not in applied.stdout + applied.stderr
    bad = subprocess.run(
        [exe, "sync", "--apply"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "DESKTOP_SYNC_ONEC_PASSWORD": "nope"},
        timeout=120,
        check=False,
    )
    assert bad.returncode == 5
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("kill_after", [3, 25])
def test_killed_apply_is_finished_without_twins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kill_after: int, configuration: str
) -> None:
    """SIGKILL a real `desktop-sync sync --apply` mid-run; the next run finishes the job."""
    gen = make_world(tmp_path, monkeypatch, onec_faults="delay:0.05", configuration=configuration)
    world = next(gen)
    try:
        exe = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
        assert exe
        env = {
            **os.environ,
            **world.env(),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        db = world.paths.journal_path()
        killed_in = ""
        argv = [exe, "sync", "--apply", "--json"]
        out = subprocess.DEVNULL
        with reaped(subprocess.Popen(argv, env=env, stdout=out, stderr=out)) as proc:
            hang = time.monotonic() + HANG
            while proc.poll() is None:
                states = journal_states(db)
                if states["applied"] >= kill_after:
                    killed_in = "sending" if states["sending"] else "between"
                    kill_hard(proc)
                    break
                assert time.monotonic() < hang, f"{kill_after} not applied in {HANG:.0f} s"
                time.sleep(0.01)
            proc.wait(HANG)
        assert was_killed(proc.returncode), "the run ended before it could be killed"
        assert killed_in
        # The next run settles what was in flight, then finishes the rest: no twins.
        with world.service() as svc:
            summary, _plan = svc.run()
            assert summary.counts["failed"] == 0
            runs = svc.journal.runs()
            assert runs[-1].outcome == "crashed"  # the killed run, closed by the next
        state = crm_state(world)
        ours = {k: v for k, v in state["origins"].items() if not k.startswith("none-")}
        assert ours and max(ours.values()) == 1
        xml = {k: v for k, v in state["xml"].items() if not k.startswith("none-")}
        assert xml and max(xml.values()) == 1
        assert max(onec_state(world).values()) <= 2  # a head office and its branch at most
        with world.service() as svc:
            _s, plan = svc.run()
        assert [op for op in plan.operations if op.kind is OpKind.CREATE] == []
    finally:
        gen.close()


def test_secrets_stored_in_keyring_work(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a keyring (our in-memory backend here), the environment is not needed."""
    store = SecretStore(world.profile.uuid)
    store.set(SecretKind.ONEC_PASSWORD, world.onec.password)
    store.set(SecretKind.CRM_SECRET, world.crm.webhook)
    monkeypatch.delenv("DESKTOP_SYNC_ONEC_PASSWORD")
    monkeypatch.delenv("DESKTOP_SYNC_CRM_SECRET")
    with world.service() as svc:
        summary, _plan = svc.dry_run()
    assert summary.counts["planned"] > 0


def test_lost_answers_are_looked_up_not_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configuration: str
) -> None:
    """The portal applies a create but the answer is lost: found by key, never made twice."""
    faults = (
        "drop:0.4@crm.company.add,drop:0.4@catalog.product.add,drop:0.4@crm.requisite.add,"
        "drop:0.4@batch"  # creates travel in batches: a lost batch loses all its answers
    )
    gen = make_world(tmp_path, monkeypatch, crm_faults=faults, configuration=configuration)
    world = next(gen)
    try:
        with world.service() as svc:
            first, plan = svc.run()
        assert first.counts["applied"] + first.counts["failed"] == len(plan.operations)
        with world.service() as svc:
            svc.run()
            _s, plan3 = svc.run()
        assert [op for op in plan3.operations if op.kind is OpKind.CREATE] == []
        state = crm_state(world)
        ours = {k: v for k, v in state["origins"].items() if not k.startswith("none-")}
        assert ours and max(ours.values()) == 1
        xml = {k: v for k, v in state["xml"].items() if not k.startswith("none-")}
        assert xml and max(xml.values()) == 1
        inn = {k: v for k, v in state["inn_kpp"].items() if k != "/"}
        assert max(inn.values()) <= 2  # the portal's own seed + ours, never more
    finally:
        gen.close()


def test_incremental_reads_cost_less_and_still_see_changes(world: World) -> None:
    """After the first run, an unchanged CRM is read with a fraction of the requests."""
    with world.service() as svc:
        svc.run()
    crm0, onec0 = world.crm.stats.requests, world.onec.stats.requests
    with world.service() as svc:
        _snap, plan = svc.prepare()
    crm_quiet, onec_quiet = world.crm.stats.requests - crm0, world.onec.stats.requests - onec0
    assert plan.operations == ()
    crm1, onec1 = world.crm.stats.requests, world.onec.stats.requests
    with world.service() as svc:
        _snap, plan = svc.prepare(full=True)
    crm_full, onec_full = world.crm.stats.requests - crm1, world.onec.stats.requests - onec1
    assert plan.operations == ()
    assert onec_quiet < onec_full  # unchanged sets are only scanned, not read
    assert crm_quiet <= crm_full
    # A change on each side is still seen by the next incremental read.
    with world.service() as svc:
        link = next(lk for lk in svc.journal.links("counterparty") if "/" in (lk.crm_id or ""))
    with Bitrix24Client(world.crm.webhook, throttle=False) as c:
        c.companies.update_company(
            int((link.crm_id or "0").split("/")[0]), {"TITLE": "Новое «имя»"}
        )
    with world.service() as svc:
        _snap, plan = svc.prepare()
    assert [op.kind for op in plan.operations] == [OpKind.UPDATE]


def test_check_and_status_commands(world: World) -> None:
    exe = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
    assert exe
    env = {
        **os.environ,
        **world.env(),
        "DESKTOP_SYNC_LANG": "en",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    check = subprocess.run(
        [exe, "check", "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )
    report = json.loads(check.stdout)
    assert check.returncode == 0, report["problems"]
    # check says which configuration it found and what the user may read and write
    names = {e["name"]: e for e in report["onec"]["entities"]}
    assert report["ok"] and names["invoices"]["writable"]
    assert names["invoices"]["entity"] == world.story.invoices
    if world.configuration == "ut11":
        assert report["onec"]["configuration"] == "1С:Управление торговлей 11"
        assert names["partners"]["writable"]
    else:
        assert "Бухгалтерия" in report["onec"]["configuration"]
    with world.service() as svc:
        svc.run()
        link = svc.journal.links("invoice")[0]
        inv = svc.onec.invoice(link.onec_ref or "")
    assert inv is not None
    # A bare number can be both a CRM id and a 1C number (then `status` asks which):
    # crm:ID says it is the CRM id.
    for query in (f"crm:{link.crm_id}", f"{inv.number}/{inv.date.year}"):
        status = subprocess.run(
            [exe, "status", query, "--json"],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=120,
            check=False,
        )
        assert status.returncode == 0, status.stderr
        data = json.loads(status.stdout)
        assert data["crm_id"] == int(link.crm_id or 0)
        assert Decimal(str(data["onec"]["outstanding"])) == inv.total
        for key in ("total", "paid", "outstanding", "payments", "shipped", "stage"):
            assert key in data
        assert Decimal(str(data["outstanding"])) == inv.total
    missing = subprocess.run(
        [exe, "status", "no-such-invoice"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 2 and "no invoice" in missing.stderr


def test_journal_export_csv_and_xlsx(world: World, tmp_path: Path) -> None:
    import csv
    import zipfile

    exe = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
    assert exe
    with world.service() as svc:
        svc.run()
    env = {**os.environ, **world.env(), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    for name in ("ops.csv", "ops.xlsx"):
        out = tmp_path / name
        done = subprocess.run([exe, "journal", "--export", str(out)], capture_output=True,
                              text=True, encoding="utf-8", env=env, timeout=120,
                              check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
    with (tmp_path / "ops.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert rows and {"Flow", "State", "Reason"} <= set(rows[0])  # headers in words
    with zipfile.ZipFile(tmp_path / "ops.xlsx") as book:
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
    assert rows[0]["Reason"][:20] in strings.replace("&amp;", "&").replace("&quot;", '"')
