"""What "nothing lost, nothing twice, journal consistent" means, checked on the stores.

The state is read from the sandboxes' stores directly (not over HTTP, where the
faults are), in terms that do not depend on the profile's uuid, so a faulted
world can be compared with a fault-free one of the same seed.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from desktop_sync.engine.model import Operation, OpKind, System
from desktop_sync.engine.planner import COUNTERPARTY, INVOICE, PRODUCT
from desktop_sync.engine.service import SyncService
from tests.e2e.conftest import World, make_world

open_world = contextmanager(make_world)  # ``with open_world(tmp_path, monkeypatch, ...) as w``

ORIGINATOR = "desktop-sync"
CP_SET = "Catalog_Контрагенты"  # the same name in BP 3.0 and UT 11
CONTRACT_SET = "Catalog_ДоговорыКонтрагентов"
CONFIGURATIONS = ("bp30", "ut11")


def _short_sleep(seconds: float) -> None:
    time.sleep(min(seconds, 0.01))


def service(world: World) -> SyncService:
    """``world.service()`` with the clients' retry back-off cut to 10 ms.

    Only the waiting is shortened (the sandboxes limit nothing here); every retry
    still happens, so what is tested is the logic, not the clock.
    """
    svc = world.service()
    svc.crm.rest.sleep = _short_sleep
    svc.onec._sleep = _short_sleep
    return svc


def crm_state(world: World) -> dict[str, Counter[str]]:
    st = world.crm.store
    with st.lock:
        companies = list(st.companies.rows.values()) + list(st.contacts.rows.values())
        requisites = list(st.requisites.rows.values())
        products = list(st.products.rows.values())
        items = list(st.items.rows.values())
        comments = list(st.comments.rows.values())
    return {
        "origin": Counter(
            str(c.get("ORIGIN_ID")) for c in companies if c.get("ORIGINATOR_ID") == ORIGINATOR
        ),
        "companies": Counter(str(c.get("TITLE") or c.get("NAME") or "") for c in companies),
        "requisites": Counter(f"{r.get('RQ_INN')}/{r.get('RQ_KPP')}" for r in requisites),
        "product_xml": Counter(str(p.get("xmlId") or "") for p in products),
        "invoices": Counter(f"{i.get('id')}|{i.get('stageId')}|{_ds_fields(i)}" for i in items),
        # F11: the printed invoices (comments with a file) per CRM invoice, never twice
        "pdfs": Counter(str(c.get("ENTITY_ID")) for c in comments if c.get("FILES")),
    }


def _ds_fields(item: dict[str, Any]) -> str:
    """Our custom fields on a smart invoice: which are set, and the amounts (1C numbers
    depend on the order documents were created in, which faults change)."""
    out: list[str] = []
    for k in sorted(item):
        if not k.upper().startswith("UF_CRM_SMART_INVOICE_DS_") or item[k] in (None, "", []):
            continue
        name = k.upper().removeprefix("UF_CRM_SMART_INVOICE_DS_")
        kept = name in ("OUTSTANDING", "PAID", "SYNC_STATUS", "SHIPPED")
        out.append(f"{name}={item[k]}" if kept else name)
    return ";".join(out)


def onec_state(world: World) -> dict[str, Counter[str]]:
    st = world.onec.store
    cps = st.all(CP_SET)
    by_ref = {str(c["Ref_Key"]).lower(): c for c in cps}

    def who(ref: Any) -> str:
        c = by_ref.get(str(ref).lower())
        return f"{c.get('ИНН')}/{c.get('КПП')}" if c else "?"

    invoices = st.all(world.story.invoices)  # BP: СчетНаОплату; UT: ЗаказКлиента
    return {
        "counterparties": Counter(
            f"{c.get('ИНН')}/{c.get('КПП')}/{c.get('Description')}" for c in cps
        ),
        "contracts": Counter(
            who(c.get("Owner_Key") or c.get("Контрагент_Key")) for c in st.all(CONTRACT_SET)
        ),
        "invoices": Counter(
            f"{who(i.get('Контрагент_Key'))}|{i.get('СуммаДокумента')}|{len(i.get('Товары') or [])}"
            for i in invoices
        ),
    }


def inbox_state(world: World) -> Counter[str]:
    """What waits for a person, by kind: flow, rule and field (ids and 1C numbers depend
    on the order records were made in, which kills and faults change)."""
    with service(world) as svc:
        items = svc.journal.inbox()
    return Counter(f"{i.kind}|{':'.join(i.dedup_key.split(':')[:2])}|{i.field}" for i in items)


State = dict[str, dict[str, Counter[str]]]


def state(world: World) -> State:
    return {"crm": crm_state(world), "onec": onec_state(world)}


def diff(
    a: dict[str, dict[str, Counter[str]]], b: dict[str, dict[str, Counter[str]]]
) -> tuple[int, int, list[str]]:
    """-> (lost, duplicated, lines): what ``b`` lacks or has twice compared with ``a``."""
    lost = dup = 0
    lines: list[str] = []
    for side in a:
        for kind in a[side]:
            want, got = a[side][kind], b[side][kind]
            for key in set(want) | set(got):
                if got[key] < want[key]:
                    lost += want[key] - got[key]
                    lines.append(f"{side}.{kind}: {key!r} {got[key]} < {want[key]}")
                elif got[key] > want[key]:
                    dup += got[key] - want[key]
                    lines.append(f"{side}.{kind}: {key!r} {got[key]} > {want[key]}")
    return lost, dup, lines


def creates_exactly_once(world: World, ops: tuple[Operation, ...]) -> list[str]:
    """Every planned create exists exactly once in its target (by its idempotency key)."""
    cs = crm_state(world)
    problems: list[str] = []
    for op in ops:
        if op.kind is not OpKind.CREATE:
            continue
        if op.target is System.CRM and op.entity_type == COUNTERPARTY:
            n = cs["origin"][op.source_id]
        elif op.target is System.CRM and op.entity_type == PRODUCT:
            n = cs["product_xml"][op.source_id]
        elif op.target is System.ONEC and op.entity_type in (COUNTERPARTY, INVOICE, "contract"):
            name = {COUNTERPARTY: CP_SET, INVOICE: world.story.invoices, "contract": CONTRACT_SET}[
                op.entity_type
            ]
            n = 1 if world.onec.store.get(name, str(op.target_id)) is not None else 0
        else:
            continue
        if n != 1:
            problems.append(f"{op.op_id} ({op.record_label}): {n} in the target")
    return problems


def journal_problems(db: Path) -> list[str]:
    """SQLite integrity, no operation left in flight, every applied create linked."""
    problems: list[str] = []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        (ok,) = con.execute("PRAGMA integrity_check").fetchone()
        if ok != "ok":
            problems.append(f"integrity_check: {ok}")
        for state, n in con.execute(
            "SELECT state, count(*) FROM operation WHERE state IN ('sending', 'outcome_unknown') "
            "GROUP BY state"
        ):
            problems.append(f"{n} operation(s) left {state!r}")
        linked = {
            (t, o or "", c or "")
            for t, o, c in con.execute("SELECT entity_type, onec_ref, crm_id FROM entity_link")
        }
        onec_refs = {(t, o) for t, o, _ in linked}
        crm_ids = {(t, c) for t, _, c in linked}
        for op_id, etype, target, source, tid in con.execute(
            "SELECT id, entity_type, target_system, source_id, target_id FROM operation "
            "WHERE state = 'applied' AND kind = 'create' AND entity_type IN (?, ?, ?)",
            (COUNTERPARTY, PRODUCT, INVOICE),
        ):
            onec_ref, crm_id = (source, tid) if target == "crm" else (tid, source)
            if (etype, onec_ref) not in onec_refs and (etype, crm_id) not in crm_ids:
                problems.append(f"applied create {op_id} ({etype} {source}) has no link")
    finally:
        con.close()
    return problems


def secrets_found(world: World, *texts: str) -> list[str]:
    """Canary secrets (1C password, webhook code) in the home folder's files or in ``texts``."""
    code = world.crm.webhook.rstrip("/").rsplit("/", 1)[-1]
    canaries = {"1C password": world.onec.password, "webhook code": code}
    found: list[str] = []
    home = world.paths.config_dir.parent
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for what, secret in canaries.items():
            if secret.encode() in data:
                found.append(f"{what} in {path.relative_to(home)}")
    for n, text in enumerate(texts):
        for what, secret in canaries.items():
            if secret in text:
                found.append(f"{what} in output #{n}")
    return found
