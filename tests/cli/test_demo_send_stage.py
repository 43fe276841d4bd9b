"""The demo sends a CRM invoice to 1C from the seeded portal's stage made for it,
«Передать в 1С» (it sent from «Отправлен клиенту»: on the demo's screenshot СЧ-0004 at
«Передать в 1С» stayed «Только в CRM», the stage's own name promising otherwise)."""

from __future__ import annotations

from desktop_sync.cli.demo_cmd import DEMO_SEND_STAGE
from desktop_sync.sandbox.bitrix24.seed import INVOICE_CATEGORY, STAGES


def test_the_demo_sends_from_the_stage_named_for_it() -> None:
    names = {f"DT31_{INVOICE_CATEGORY}:{code}": name for code, name, _sort, _sem in STAGES}
    assert names[DEMO_SEND_STAGE] == "Передать в 1С"
