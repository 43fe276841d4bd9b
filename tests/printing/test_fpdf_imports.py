"""fpdf2 loads Pillow, numpy and cryptography when they are installed, for raster images
and signatures an invoice never has: the sync process prints without importing them
(issue 18, memory), and a process that imported one before keeps fpdf2's use of it. The
frozen build leaves Pillow out (packaging/desktop-sync.spec): there too the invoice
prints, and says nothing on the console."""

from __future__ import annotations

import subprocess
import sys

from tests.killing import HANG

INVOICE = """
import sys, datetime as dt
from decimal import Decimal as D
from desktop_sync.printing import BankAccount, InvoiceRow, Party, PrintableInvoice
from desktop_sync.printing import render_invoice_pdf
data = render_invoice_pdf(PrintableInvoice(
    '7', dt.date(2026, 3, 3), Party('ООО «Ромашка»', '7701234567', '770101001'),
    BankAccount('40702810900000012345', 'ПАО СБЕРБАНК', '044525225', '30101810400000000225'),
    Party('ИП Иванов'), [InvoiceRow('Бумага', D(1), 'шт', D(10), D(10))]))
assert data.startswith(b'%PDF-')
"""


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=HANG,  # a hang only
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_an_invoice_prints_without_what_fpdf_would_use_for_images_and_signing() -> None:
    out = _run(
        INVOICE
        + "print(sorted(m for m in ('PIL', 'numpy', 'cryptography') if m in sys.modules))\n"
        + "import importlib.util as u\n"
        + "print(all(u.find_spec(m) is not None for m in ('PIL', 'cryptography')))\n"
    )
    assert out.splitlines()[0] == "[]"
    assert out.splitlines()[1] == "True"  # installed here: refused to fpdf2 alone


def test_a_library_imported_before_is_fpdfs_as_it_was() -> None:
    out = _run(
        "import PIL.Image\n" + INVOICE + "import fpdf.image_parsing as ip\n"
        "print(ip.Image is PIL.Image)\n"
    )
    assert out.strip() == "True"


NO_PILLOW = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'PIL':
            raise ImportError('Pillow blocked for this test')
sys.meta_path.insert(0, Block())
"""


def test_prints_where_pillow_is_not_installed_and_says_nothing() -> None:
    out = _run(NO_PILLOW + INVOICE + "print('PIL' in sys.modules)\n")
    assert out.strip() == "False"  # and _run: nothing on stderr
