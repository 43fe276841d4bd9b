"""The frozen build leaves Pillow out (packaging/desktop-sync.spec): the invoice must
print without it, and without a warning on the console."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys, datetime as dt
from decimal import Decimal as D
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'PIL':
            raise ImportError('Pillow blocked for this test')
sys.meta_path.insert(0, Block())
from desktop_sync.printing import BankAccount, InvoiceRow, Party, PrintableInvoice
from desktop_sync.printing import render_invoice_pdf
data = render_invoice_pdf(PrintableInvoice(
    '7', dt.date(2026, 3, 3), Party('ООО «Ромашка»', '7701234567', '770101001'),
    BankAccount('40702810900000012345', 'ПАО СБЕРБАНК', '044525225', '30101810400000000225'),
    Party('ИП Иванов'), [InvoiceRow('Бумага', D(1), 'шт', D(10), D(10))]))
assert 'PIL' not in sys.modules
sys.stdout.write(data[:5].decode())
"""


def test_prints_without_pillow_and_says_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", CODE],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "%PDF-"
    assert done.stderr == ""
