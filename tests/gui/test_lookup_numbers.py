"""The manager's lookup: the CRM's own number is searchable and shown, each number labelled
by its system, a link opens the invoice in Bitrix24 (issue 19, item 8)."""

from __future__ import annotations

from pathlib import Path

from desktop_sync.engine.service import SyncService
from tests.gui.sandbox_env import loaded_window, sandbox_env


def test_lookup_by_the_crm_number_labels_both_and_links_to_bitrix24(qtbot, tmp_path: Path):
    with sandbox_env(tmp_path / "home") as env:
        with SyncService.open(env.profile, env.paths, crm_throttle=False) as svc:
            svc.run(trigger="cli")  # invoices sent to 1C: both numbers exist
        with loaded_window(qtbot, env) as c:
            links = {lk.crm_id for lk in c.invoice_links if lk.onec_ref}
            cid, ci = next(
                (i, ci)
                for i, ci in c.snapshot.crm.invoices.items()
                if str(i) in links and ci.invoice.number
            )
            crm_number = ci.invoice.number
            c.lookup.query.setText(crm_number)
            c.lookup.search()
            assert c.lookup.results, f"{crm_number} not found"
            hit = c.lookup.results[0]
            assert hit.crm_id == cid and hit.crm_number == crm_number
            t = c.lookup.table
            assert t.item(0, 1).text() == crm_number  # the CRM's number, in its own column
            assert t.item(0, 0).text() == hit.number != crm_number  # 1C's beside it
            html = c.lookup.detail.toHtml()
            assert crm_number in html and hit.number in html
            assert f"/crm/type/31/details/{cid}/" in html and "Open in Bitrix24" in html
