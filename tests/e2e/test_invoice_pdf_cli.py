"""``desktop-sync invoice pdf``: the real console script against both sandboxes.

A CRM invoice synchronised into 1C is printed by its 1C number/year and by its CRM id;
the PDF's text and its QR code are read back (pypdf, zxing-cpp) and compared with what
1C holds: the organization and its bank, the buyer, every row, the total to the kopeck.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from desktop_sync.printing import amount_in_words
from desktop_sync.sandbox.dataset import ORGANIZATION_INN, ORGANIZATION_KPP, ORGANIZATION_NAME

from ..printing.pdf_reading import decoded_qr, pdf_text
from .conftest import World


def _run(world: World, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    exe = shutil.which("desktop-sync", path=str(Path(sys.executable).parent))
    assert exe
    env = {
        **os.environ,
        **world.env(),
        "DESKTOP_SYNC_LANG": lang,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    return subprocess.run(
        [exe, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


def test_invoice_pdf_by_number_and_by_crm_id(world: World, tmp_path: Path) -> None:
    with world.service() as svc:
        svc.run()
        link = svc.journal.links("invoice")[0]
        inv = svc.onec.invoice(link.onec_ref or "")
        bank = svc.onec.bank_details()
        counterparty = next(
            c for c in svc.onec.counterparties() if c.onec_ref == inv.counterparty_ref
        ) if inv is not None else None  # fmt: skip
    assert inv is not None and counterparty is not None

    by_number = tmp_path / "by-number.pdf"
    done = _run(world, "invoice", "pdf", inv.year_number, "-o", str(by_number))
    assert done.returncode == 0, done.stderr
    assert str(by_number) in done.stdout
    data = by_number.read_bytes()
    text = pdf_text(data)
    for expected in (
        f"№ {inv.number} от {inv.date:%d.%m.%Y}",
        ORGANIZATION_NAME,
        f"ИНН {ORGANIZATION_INN}",
        f"КПП {ORGANIZATION_KPP}",
        bank.account,
        bank.bic,
        bank.correspondent_account,
        bank.bank_name,
        counterparty.name,
        f"ИНН {counterparty.inn}",
        amount_in_words(inv.total),
        f"Всего наименований {len(inv.lines)}",
        *(line.product_name for line in inv.lines),
    ):
        assert expected in text, expected
    payload = decoded_qr(data)
    assert payload.startswith(
        f"ST00012|Name={ORGANIZATION_NAME}|PersonalAcc={bank.account}|BankName={bank.bank_name}"
        f"|BIC={bank.bic}|CorrespAcc={bank.correspondent_account}"
        f"|PayeeINN={ORGANIZATION_INN}|KPP={ORGANIZATION_KPP}"
        f"|Purpose=Оплата по счёту № {inv.number}"
    )
    assert payload.endswith(f"|Sum={int(inv.total * 100)}")

    by_crm = tmp_path / "by-crm.pdf"
    done = _run(world, "invoice", "pdf", f"crm:{link.crm_id}", "-o", str(by_crm), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["file"] == str(by_crm)
    assert report["onec_number"] == inv.year_number
    assert decoded_qr(by_crm.read_bytes()) == payload

    missing = _run(world, "invoice", "pdf", "no-such-invoice", lang="ru")
    assert missing.returncode == 2
    assert "no-such-invoice" in missing.stderr
    assert "Traceback" not in missing.stderr

    # The organization's bank account names no bank in 1C: said in Russian, exit 2.
    accounts = {"bp30": "Catalog_БанковскиеСчета", "ut11": "Catalog_БанковскиеСчетаОрганизаций"}
    entity = accounts[world.configuration]
    for row in world.onec.store.all(entity):
        world.onec.store.update(
            entity, str(row["Ref_Key"]), {"Банк_Key": "00000000-0000-0000-0000-000000000000"}
        )
    no_bank = _run(world, "invoice", "pdf", inv.year_number, "-o", str(tmp_path / "x.pdf"),
                   lang="ru")  # fmt: skip
    assert no_bank.returncode == 2, no_bank.stderr
    assert "не указан банк" in no_bank.stderr and bank.account in no_bank.stderr
    assert "Traceback" not in no_bank.stderr
    assert not (tmp_path / "x.pdf").exists()
