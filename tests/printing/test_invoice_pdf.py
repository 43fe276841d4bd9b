"""The printed invoice: its text read back with pypdf, its QR code decoded with zxing-cpp."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest

from desktop_sync.domain.money import round_money
from desktop_sync.domain.vat import VatRate
from desktop_sync.printing import (
    BankAccount,
    InvoiceRow,
    Party,
    PrintableInvoice,
    PrintingError,
    amount_in_words,
    gost_payload,
    render_invoice_pdf,
)
from desktop_sync.printing.version import digest

from .pdf_reading import decoded_qr, pdf_text

SELLER = Party("ООО «Ромашка»", "7701234567", "770101001", "г. Москва, ул. Ленина, д. 1")
BANK = BankAccount(
    "40702810900000012345", "ПАО «Сбербанк»", "044525225", "30101810400000000225", "г. Москва"
)
BUYER = Party("ООО «Д'Артаньян и партнёры»", "5001007322", "500101001")


def invoice(**changes: object) -> PrintableInvoice:
    base: dict[str, object] = {
        "number": "28",
        "date": dt.date(2026, 3, 3),
        "seller": SELLER,
        "bank": BANK,
        "buyer": BUYER,
        "rows": [
            InvoiceRow(
                "Стол письменный «Классик»",
                D("2"),
                "шт",
                D("15000.00"),
                D("30000.00"),
                VatRate.VAT22,
                D("5409.84"),
            ),
            InvoiceRow(
                "Доставка", D("1"), "усл", D("1500.00"), D("1500.00"), VatRate.VAT22, D("270.49")
            ),
            InvoiceRow(
                "Кабель ВВГ 3×2,5",
                D("12.5"),
                "м",
                D("98.76"),
                D("1234.50"),
                VatRate.VAT10,
                D("112.23"),
            ),
        ],
    }
    base.update(changes)
    return PrintableInvoice(**base)  # type: ignore[arg-type]


def test_the_pdf_holds_requisites_rows_vat_and_words() -> None:
    data = render_invoice_pdf(invoice())
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in (
        "Счёт на оплату № 28 от 03.03.2026",
        "ООО «Ромашка»",
        "ИНН 7701234567",
        "КПП 770101001",
        "40702810900000012345",
        "ПАО «Сбербанк»",
        "044525225",
        "30101810400000000225",
        "ООО «Д'Артаньян и партнёры», ИНН 5001007322, КПП 500101001",
        "Стол письменный «Классик»",
        "Доставка",
        "Кабель ВВГ 3×2,5",
        "12,5",
        "15 000,00",
        "30 000,00",
        "1 234,50",
        "Итого: 32 734,50",
        "В том числе НДС (22%): 5 680,33",
        "В том числе НДС (10%): 112,23",
        "Всего к оплате: 32 734,50",
        "Всего наименований 3, на сумму 32 734,50 руб.",
        "Тридцать две тысячи семьсот тридцать четыре рубля 50 копеек",
    ):
        assert expected in text, expected


def test_the_qr_code_decodes_to_the_exact_gost_string() -> None:
    inv = invoice()
    expected = (
        "ST00012|Name=ООО «Ромашка»|PersonalAcc=40702810900000012345"
        "|BankName=ПАО «Сбербанк»|BIC=044525225|CorrespAcc=30101810400000000225"
        "|PayeeINN=7701234567|KPP=770101001"
        "|Purpose=Оплата по счёту № 28 от 03.03.2026, в т.ч. НДС 22% 5 680,33 руб.,"
        " НДС 10% 112,23 руб.|Sum=3273450"
    )
    assert gost_payload(inv) == expected
    assert decoded_qr(render_invoice_pdf(inv)) == expected


def test_prices_without_vat_add_it_to_the_total() -> None:
    rows = [
        InvoiceRow(
            "Услуга «Монтаж»", D("1"), "усл", D("100.00"), D("100.00"), VatRate.VAT20, D("20.00")
        )
    ]
    inv = invoice(rows=rows, prices_include_vat=False)
    assert inv.total == D("120.00")
    text = pdf_text(render_invoice_pdf(inv))
    assert "Итого: 100,00" in text
    assert "Сумма НДС (20%): 20,00" in text
    assert "Всего к оплате: 120,00" in text
    assert "Сто двадцать рублей 00 копеек" in text
    assert decoded_qr(render_invoice_pdf(inv)).endswith("|Sum=12000")


def test_without_vat_the_form_says_so() -> None:
    rows = [InvoiceRow("Консультация", D("3"), "ч", D("0.15"), D("0.45"))]
    inv = invoice(rows=rows)
    text = pdf_text(render_invoice_pdf(inv))
    assert "Без налога (НДС): -" in text
    assert "Ноль рублей 45 копеек" in text
    assert gost_payload(inv).endswith(
        "|Purpose=Оплата по счёту № 28 от 03.03.2026, без налога (НДС)|Sum=45"
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("123.45", "Сто двадцать три рубля 45 копеек"),
        ("1.01", "Один рубль 01 копейка"),
        ("21.00", "Двадцать один рубль 00 копеек"),
        ("2.22", "Два рубля 22 копейки"),
        ("1000000.02", "Один миллион рублей 02 копейки"),
        (
            "1234567.89",
            "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек",
        ),
    ],
)
def test_amount_in_words(value: str, words: str) -> None:
    assert amount_in_words(D(value)) == words


def test_a_value_holding_the_separator_moves_it() -> None:
    seller = Party("ООО «Альфа|Бета»", "7701234567", "770101001")
    payload = gost_payload(invoice(seller=seller))
    assert payload.startswith("ST00012#Name=ООО «Альфа|Бета»#PersonalAcc=")
    assert decoded_qr(render_invoice_pdf(invoice(seller=seller))) == payload


def test_line_breaks_and_long_values_follow_the_standard() -> None:
    bank = BankAccount(
        "40702810900000012345", "АО «Очень\nдлинное название банка» " + "x" * 60, "044525225", ""
    )
    payload = gost_payload(invoice(bank=bank))
    fields = dict(part.split("=", 1) for part in payload.split("|")[1:])
    assert "\n" not in payload
    assert len(fields["BankName"]) == 45
    assert fields["BankName"].startswith("АО «Очень длинное название банка»")
    assert fields["CorrespAcc"] == "0"


def test_missing_bank_details_are_named() -> None:
    bank = BankAccount("4070281", "", "04452", "")
    with pytest.raises(PrintingError) as err:
        render_invoice_pdf(invoice(bank=bank))
    message = str(err.value)
    assert message.startswith("Счёт на оплату № 28 от 03.03.2026:")
    assert "расчётный счёт" in message
    assert "БИК" in message
    assert "банк" in message


def test_an_invoice_without_rows_is_refused() -> None:
    with pytest.raises(PrintingError, match="в счёте нет строк"):
        render_invoice_pdf(invoice(rows=[]))


def test_the_purpose_names_only_the_vat_there_is() -> None:
    rows = [
        InvoiceRow("Монтаж", D("1"), "ч", D("100.00"), D("100.00"), VatRate.VAT0, D("0.00")),
        InvoiceRow("Бумага", D("1"), "шт", D("122.00"), D("122.00"), VatRate.VAT22, D("22.00")),
        InvoiceRow("Книга", D("1"), "шт", D("50.00"), D("50.00")),
    ]
    inv = invoice(rows=rows)
    assert inv.payment_purpose == ("Оплата по счёту № 28 от 03.03.2026, в т.ч. НДС 22% 22,00 руб.")
    text = pdf_text(render_invoice_pdf(inv))
    assert "В том числе НДС (0%): 0,00" in text
    assert "В том числе НДС (22%): 22,00" in text
    assert "Без налога (НДС): -" in text


def test_a_long_invoice_runs_onto_more_pages() -> None:
    rows = [
        InvoiceRow(f"Товар «{n}» с длинным названием, которое не помещается в одну строку "
                   "таблицы счёта и переносится", D("1"), "шт", D("10.00"), D("10.00"))
        for n in range(1, 61)
    ]  # fmt: skip
    data = render_invoice_pdf(invoice(rows=rows))
    text = pdf_text(data)
    assert "Товар «60»" in text and "Всего наименований 60, на сумму 600,00 руб." in text
    assert "Шестьсот рублей 00 копеек" in text
    assert decoded_qr(data).endswith("|Sum=60000")


def _discounted() -> PrintableInvoice:
    """The seed's row (37 705,81 × 1 = 35 820,52 after 5 %), a fractional quantity with a
    discount and a row without one."""
    rows = [
        InvoiceRow(
            "Шкаф «Модерн»",
            D("1"),
            "шт",
            D("37705.81"),
            D("35820.52"),
            VatRate.VAT22,
            D("6459.44"),
        ),
        InvoiceRow(
            "Кабель ВВГ 3×2,5", D("12.5"), "м", D("98.76"), D("1111.05"), VatRate.VAT10, D("101.00")
        ),
        InvoiceRow(
            "Доставка", D("1"), "усл", D("1500.00"), D("1500.00"), VatRate.VAT22, D("270.49")
        ),
    ]
    return invoice(rows=rows)


def _money(text: str) -> D:
    return D(text.replace(" ", "").replace(",", "."))


_MONEY = r"-?\d{1,3}(?: \d{3})*,\d{2}"


def test_a_discount_gets_its_column_and_every_row_adds_up() -> None:
    inv = _discounted()
    text = pdf_text(render_invoice_pdf(inv))
    assert "№ Товары (работы, услуги) Кол-во Ед. Цена Скидка Сумма" in text
    found = re.findall(
        rf"(\d+) (?:Шкаф «Модерн»|Кабель ВВГ 3×2,5|Доставка) (\d+(?:,\d+)?) (?:шт|м|усл) "
        rf"({_MONEY}) (?:({_MONEY}) )?({_MONEY})",
        text,
    )
    assert [(n, qty, price, discount, amount) for n, qty, price, discount, amount in found] == [
        ("1", "1", "37 705,81", "1 885,29", "35 820,52"),
        ("2", "12,5", "98,76", "123,45", "1 111,05"),
        ("3", "1", "1 500,00", "", "1 500,00"),
    ]
    for _, qty, price, discount, amount in found:
        quantity = D(qty.replace(",", "."))
        assert round_money(_money(price) * quantity) - _money(discount or "0") == _money(amount)
    # The totals and VAT are the rows' sums, as without the column.
    for expected in (
        "Итого: 38 431,57",
        "В том числе НДС (22%): 6 729,93",
        "В том числе НДС (10%): 101,00",
        "Всего к оплате: 38 431,57",
        "Всего наименований 3, на сумму 38 431,57 руб.",
    ):
        assert expected in text, expected
    assert decoded_qr(render_invoice_pdf(inv)).endswith("|Sum=3843157")


def test_without_a_discount_the_rows_keep_their_six_columns() -> None:
    text = pdf_text(render_invoice_pdf(invoice()))
    assert "№ Товары (работы, услуги) Кол-во Ед. Цена Сумма" in text
    assert "Скидка" not in text
    assert "1 Стол письменный «Классик» 2 шт 15 000,00 30 000,00" in text


def test_the_column_changes_no_version() -> None:
    """The discount is what price × quantity lacks of the sum, all three already in the
    version: an invoice without discounts keeps the digest its PDF was attached under."""
    assert [row.discount for row in _discounted().rows] == [D("1885.29"), D("123.45"), D("0")]
    assert digest(invoice()) == "c7bea214bf842fea"


def test_the_printed_discount_is_1c_s_discount_sum() -> None:
    """The form's «Скидка» of a 1C document's row equals its СуммаСкидки (the row's sum
    being 1C's ``round(price × quantity − discount)``), prices with VAT in or on top."""
    from desktop_sync.domain.entities import Invoice, make_line
    from desktop_sync.engine.invoice_print import printable_of

    lines = (
        make_line(1, "Шкаф «Модерн»", D("1"), D("37705.81"), VatRate.VAT22, discount=D("1885.29")),
        make_line(2, "Кабель", D("0.333"), D("99.99"), VatRate.VAT10, discount=D("1.50")),
        make_line(3, "Монтаж", D("3"), D("333.33"), VatRate.VAT22, vat_included=False),
        make_line(4, "Лампа", D("7"), D("12.34"), VatRate.VAT22, discount=D("0.01")),
    )
    doc = Invoice("28", dt.date(2026, 3, 3), None, lines)
    printed = printable_of(doc, BUYER, SELLER, BANK, {})
    assert [row.discount for row in printed.rows] == [line.discount for line in lines]
