"""The seeded business story both sandboxes serve.

One small trading company, ООО «Северный ветер», sells goods and services to
customers. The same counterparties, products and invoices appear in 1C and, in
part, in Bitrix24, as they would in a company that has just bought desktop-sync:

- counterparties: organizations (some with branches: same ИНН, other КПП), sole
  traders and persons, with Cyrillic, «quotes», "quotes" and apostrophes in names;
  some exist only in 1C, some only in the CRM, some in both (no links yet);
- products: goods and services with articles, units by ОКЕИ, VAT rates (22%, 10%,
  0%, without VAT);
- invoices: some created in the CRM (waiting to be sent to 1C), some in 1C;
- payments: full, partial, one receipt for several invoices, a refund, a receipt
  naming no invoice (only its number in the purpose), an un-posted one;
- shipments and stock per warehouse.

Everything is deterministic for a given ``seed`` and ``size``. Refs are UUID5 of
stable names so the same seed always gives the same GUIDs.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal

from desktop_sync.domain.entities import (
    Allocation,
    Counterparty,
    CounterpartyKind,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentKind,
    PriceType,
    Product,
    ProductKind,
    Shipment,
    StockLevel,
    Unit,
    Warehouse,
    make_line,
)
from desktop_sync.domain.requisites import make_inn
from desktop_sync.domain.vat import VatRate, standard_rate

NAMESPACE = uuid.UUID("5b1e9c1e-7c2a-4c1e-9a51-6b5f0d1e0c11")

SIZES: dict[str, dict[str, int]] = {
    # counterparties, products, invoices
    "small": {"counterparties": 24, "products": 30, "invoices": 40},
    "medium": {"counterparties": 1_000, "products": 2_000, "invoices": 5_000},
    "large": {"counterparties": 10_000, "products": 20_000, "invoices": 50_000},
}

ORGANIZATION_NAME = "ООО «Северный ветер»"
ORGANIZATION_INN = make_inn("770123456")
ORGANIZATION_KPP = "770101001"

UNITS = (
    Unit("796", "шт"),
    Unit("166", "кг"),
    Unit("112", "л"),
    Unit("006", "м"),
    Unit("778", "упак"),
    Unit("356", "ч"),
)

_ORG_FORMS = ("ООО", "АО", "ПАО", "ЗАО")
_ORG_WORDS = (
    "Ромашка",
    "Север",
    "Восток-Снаб",
    "Техноторг",
    "Глобус",
    "Альфа",
    "Вектор",
    "Д'Артаньян и партнёры",
    "Берёзка",
    "Луч",
    "Меридиан",
    "Сибирь",
    "Кедр",
    "O'Neill Трейд",
    "Полюс",
    "Заря",
    "Радуга",
    "Гранит",
    "Старт",
    "Волга",
)
_SURNAMES = ("Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Соколов")
_NAMES = ("Иван", "Пётр", "Сергей", "Алексей", "Дмитрий", "Андрей")
_PATRONYMICS = ("Иванович", "Петрович", "Сергеевич", "Алексеевич")
_GOODS = (
    ("Бумага офисная А4", "778"),
    ("Картридж HP 85A", "796"),
    ("Ручка шариковая", "796"),
    ("Степлер «Кнопка»", "796"),
    ("Папка-регистратор", "796"),
    ("Вода питьевая 19 л", "796"),
    ("Кофе зерновой", "166"),
    ("Кабель UTP 5e", "006"),
    ("Чистящее средство", "112"),
    ('Монитор 24"', "796"),
    ("Клавиатура", "796"),
    ("Мышь беспроводная", "796"),
)
_SERVICES = (
    ("Доставка по городу", "356"),
    ("Монтаж оборудования", "356"),
    ("Консультация специалиста", "356"),
    ("Настройка ПО", "356"),
)


def ref(*parts: object) -> str:
    """A stable GUID for a seeded object."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


@dataclass
class Dataset:
    """What both sandboxes are seeded with. ``in_crm``/``in_onec`` say where each is."""

    seed: int
    size: str
    today: dt.date
    organization_ref: str
    counterparties: list[Counterparty] = field(default_factory=list)
    counterparties_in_onec: set[str] = field(default_factory=set)
    counterparties_in_crm: set[str] = field(default_factory=set)
    products: list[Product] = field(default_factory=list)
    products_in_crm: set[str] = field(default_factory=set)
    # CRM products loaded earlier by the standard 1C catalog exchange: their xmlId
    # is the 1C GUID. The others were typed into the CRM by hand.
    products_exchanged: set[str] = field(default_factory=set)
    units: tuple[Unit, ...] = UNITS
    warehouses: list[Warehouse] = field(default_factory=list)
    price_types: list[PriceType] = field(default_factory=list)
    onec_invoices: list[Invoice] = field(default_factory=list)
    crm_invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    stock: list[StockLevel] = field(default_factory=list)
    contracts: dict[str, str] = field(default_factory=dict)  # counterparty ref -> contract ref


def _counterparty(rng: random.Random, i: int) -> Counterparty:
    r = ref("counterparty", i)
    roll = i % 8
    a, b = rng.randint(10, 99), rng.randint(100, 999)
    c, d = rng.randint(10, 99), rng.randint(10, 99)
    phone = f"+7 (9{a}) {b}-{c}-{d}"
    if roll == 6:
        name = f"ИП {rng.choice(_SURNAMES)} {rng.choice(_NAMES)[0]}. {rng.choice(_PATRONYMICS)[0]}."
        inn = make_inn(f"77{rng.randint(10_000_000, 99_999_999)}")
        return Counterparty(
            name, CounterpartyKind.SOLE_TRADER, inn=inn, full_name=name, onec_ref=r, phone=phone
        )
    if roll == 7:
        name = f"{rng.choice(_SURNAMES)} {rng.choice(_NAMES)} {rng.choice(_PATRONYMICS)}"
        inn = make_inn(f"50{rng.randint(10_000_000, 99_999_999)}") if i % 16 == 7 else ""
        return Counterparty(
            name, CounterpartyKind.PERSON, inn=inn, full_name=name, onec_ref=r, phone=phone
        )
    word = _ORG_WORDS[i % len(_ORG_WORDS)]
    form = _ORG_FORMS[i % len(_ORG_FORMS)]
    suffix = "" if i < len(_ORG_WORDS) else f" {i // len(_ORG_WORDS) + 1}"
    name = f"{form} «{word}{suffix}»"
    inn = make_inn(f"{rng.randint(10, 99)}{rng.randint(1_000_000, 9_999_999)}")
    kpp = f"{inn[:4]}01001"
    return Counterparty(
        name,
        CounterpartyKind.ORGANIZATION,
        inn=inn,
        kpp=kpp,
        full_name=f"Общество «{word}{suffix}»",
        onec_ref=r,
        phone=phone,
        email=f"info{i}@example.ru",
    )


def build(seed: int = 1, size: str = "small", today: dt.date | None = None) -> Dataset:
    """Build the seeded data set. ``today`` defaults to 2026-03-16 (a fixed story date)."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}: small, medium or large")
    rng = random.Random(f"{seed}/{size}")
    n = SIZES[size]
    today = today or dt.date(2026, 3, 16)
    ds = Dataset(seed=seed, size=size, today=today, organization_ref=ref("organization"))
    ds.warehouses = [
        Warehouse("Основной склад", onec_ref=ref("warehouse", 1)),
        Warehouse("Склад «Южный»", onec_ref=ref("warehouse", 2)),
    ]
    ds.price_types = [
        PriceType("Розничная", onec_ref=ref("price_type", 1), base=True),
        PriceType("Оптовая", onec_ref=ref("price_type", 2)),
    ]
    # the order of the steps is the order of the random draws: keep it
    _add_counterparties(ds, rng, n["counterparties"])
    _add_products(ds, rng, n["products"])
    _add_invoices(ds, rng, n["invoices"])
    _add_payments(ds)
    _add_shipments(ds)
    _add_stock(ds, rng)
    return ds


def _add_counterparties(ds: Dataset, rng: random.Random, count: int) -> None:
    """Every 10th organization gets a branch (same ИНН, other КПП)."""
    for i in range(count):
        cp = _counterparty(rng, i)
        ds.counterparties.append(cp)
        if cp.kind is CounterpartyKind.ORGANIZATION and i % 10 == 3:
            branch = Counterparty(
                f"{cp.name} (филиал)",
                cp.kind,
                inn=cp.inn,
                kpp=f"{cp.inn[:4]}02002",
                full_name=cp.full_name + " (филиал)",
                onec_ref=ref("counterparty", i, "branch"),
            )
            ds.counterparties.append(branch)
    for j, cp in enumerate(ds.counterparties):
        assert cp.onec_ref is not None
        where = j % 5
        if where != 4:  # 80% in 1C
            ds.counterparties_in_onec.add(cp.onec_ref)
        if where in (0, 2, 4):  # 60% in the CRM; 0 and 2 in both
            ds.counterparties_in_crm.add(cp.onec_ref)
        ds.contracts[cp.onec_ref] = ref("contract", cp.onec_ref)


def _add_products(ds: Dataset, rng: random.Random, count: int) -> None:
    for i in range(count):
        is_service = i % 5 == 4
        base_name, okei = (_SERVICES if is_service else _GOODS)[i % (4 if is_service else 12)]
        name = base_name if i < 16 else f"{base_name} (вариант {i})"
        unit = next(u for u in UNITS if u.okei == okei)
        vat = (VatRate.VAT22, VatRate.VAT22, VatRate.VAT10, VatRate.WITHOUT, VatRate.VAT0)[i % 5]
        price = Decimal(rng.randint(50, 50_000)) + Decimal(rng.randint(0, 99)) / 100
        ds.products.append(
            Product(
                name,
                ProductKind.SERVICE if is_service else ProductKind.GOODS,
                article=f"СВ-{i:05d}",
                unit=unit,
                vat_rate=vat,
                price=price,
                onec_ref=ref("product", i),
            )
        )
        if i % 3 != 2:
            ds.products_in_crm.add(ref("product", i))
            if i % 10 != 1:
                ds.products_exchanged.add(ref("product", i))


def _lines(ds: Dataset, rng: random.Random, count: int, on: dt.date) -> tuple[InvoiceLine, ...]:
    chosen = rng.sample(ds.products, k=min(count, len(ds.products)))
    out = []
    for k, p in enumerate(chosen, start=1):
        qty = Decimal(rng.randint(1, 20)) if p.kind is ProductKind.GOODS else Decimal(1)
        assert p.price is not None
        out.append(
            make_line(
                k,
                p.name,
                qty,
                p.price,
                _rate_on(p.vat_rate, on),
                product_ref=p.onec_ref,
                unit_okei=p.unit.okei if p.unit else "796",
            )
        )
    return tuple(out)


def _rate_on(rate: VatRate, on: dt.date) -> VatRate:
    """The standard rate of the day for a standard-rated line; any other rate as is."""
    return standard_rate(on) if rate in (VatRate.VAT22, VatRate.VAT20) else rate


def _add_invoices(ds: Dataset, rng: random.Random, count: int) -> None:
    """1C invoices: 2/3 of the total, dated over the last ~120 days (crossing 2026-01-01);
    CRM invoices: the rest, with no 1C ref yet (waiting to be sent)."""
    customers = [c for c in ds.counterparties if c.onec_ref in ds.counterparties_in_onec]
    crm_customers = [c for c in ds.counterparties if c.onec_ref in ds.counterparties_in_crm]
    n_onec = count * 2 // 3
    start = ds.today - dt.timedelta(days=120)
    for i in range(n_onec):
        cp = customers[i % len(customers)]
        on = start + dt.timedelta(days=(i * 120) // max(n_onec, 1))
        assert cp.onec_ref is not None
        ds.onec_invoices.append(
            Invoice(
                number=f"{i + 1}",
                date=on,
                counterparty_ref=cp.onec_ref,
                lines=_lines(ds, rng, 1 + i % 4, on),
                onec_ref=ref("invoice", i),
                counterparty_name=cp.name,
                contract_ref=ds.contracts[cp.onec_ref],
                posted=False,
                comment="" if i % 7 else "Срочно; звонить бухгалтеру",
            )
        )
    for i in range(count - n_onec):
        cp = crm_customers[i % len(crm_customers)]
        on = ds.today - dt.timedelta(days=i % 20)
        ds.crm_invoices.append(
            Invoice(
                number=f"СЧ-{i + 1:04d}",
                date=on,
                counterparty_ref=cp.onec_ref,
                lines=_lines(ds, rng, 1 + i % 3, on),
                counterparty_name=cp.name,
                stage=("DT31_1:N", "DT31_1:S", "DT31_1:N", "DT31_1:SE")[i % 4],
            )
        )


def _add_payments(ds: Dataset) -> None:
    """Payments against 1C invoices, in ten patterns (one per invoice, by its position)."""
    numbers = iter(range(1, 10 * len(ds.onec_invoices) + 2))
    for i, inv in enumerate(ds.onec_invoices):
        pay_day = inv.date + dt.timedelta(days=3)
        if pay_day <= ds.today:
            nxt = ds.onec_invoices[i + 1] if i + 1 < len(ds.onec_invoices) else None
            for p in _payments_of(i, inv, pay_day, nxt):
                ds.payments.append(replace(p, number=str(next(numbers))))


def _pay(
    inv: Invoice,
    key: tuple[int, int],
    day: dt.date,
    kind: PaymentKind,
    amount: Decimal,
    *,
    purpose: str = "",
    posted: bool = True,
    allocations: tuple[Allocation, ...] | None = None,
) -> Payment:
    """A payment of the invoice's buyer, allocated to it unless ``allocations`` say."""
    return Payment(
        "",
        day,
        kind,
        amount,
        inv.counterparty_ref,
        allocations if allocations is not None else (Allocation(amount, inv.onec_ref),),
        purpose=purpose,
        posted=posted,
        onec_ref=ref("payment", *key),
    )


def _payments_of(i: int, inv: Invoice, day: dt.date, nxt: Invoice | None) -> list[Payment]:
    total, bank, first, second = inv.total, PaymentKind.BANK, (i, 0), (i, 1)
    match i % 10:
        case 0 | 1 | 2:  # paid in full by bank
            purpose = f"Оплата по счёту № {inv.number} от {inv.date:%d.%m.%Y}"
            return [_pay(inv, first, day, bank, total, purpose=purpose)]
        case 3:  # partial, then the rest by card
            half = (total / 2).quantize(Decimal("0.01"))
            purpose = f"Частичная оплата по счёту № {inv.number}"
            return [
                _pay(inv, first, day, bank, half, purpose=purpose),
                _pay(inv, second, day + dt.timedelta(days=1), PaymentKind.CARD, total - half),
            ]
        case 4:  # partial only
            part = (total * Decimal("0.3")).quantize(Decimal("0.01"))
            return [_pay(inv, first, day, PaymentKind.CASH, part)]
        case 5:  # a receipt naming no invoice, only the number in the purpose
            purpose = f"Оплата по сч. {inv.number} за товары, в т.ч. НДС"
            none = (Allocation(total, None),)
            return [_pay(inv, first, day, bank, total, purpose=purpose, allocations=none)]
        case 6 if nxt is not None:  # one receipt, two invoices
            both = (
                Allocation(total, inv.onec_ref, line_no=1),
                Allocation(nxt.total, nxt.onec_ref, line_no=2),
            )
            purpose = f"Оплата по счетам № {inv.number}, {nxt.number}"
            amount = total + nxt.total
            return [_pay(inv, first, day, bank, amount, purpose=purpose, allocations=both)]
        case 8:  # paid, then part refunded
            refund = (total / 10).quantize(Decimal("0.01"))
            back = "Возврат излишне уплаченных средств"
            return [
                _pay(inv, first, day, bank, total),
                _pay(
                    inv,
                    second,
                    day + dt.timedelta(days=2),
                    PaymentKind.BANK_REFUND,
                    refund,
                    purpose=back,
                ),
            ]
        case 9:  # entered but not posted yet
            return [_pay(inv, first, day, bank, total, posted=False)]
    return []


def _add_shipments(ds: Dataset) -> None:
    """Shipments for the first ~half of the invoices."""
    for i, inv in enumerate(ds.onec_invoices[: len(ds.onec_invoices) // 2]):
        ship_day = inv.date + dt.timedelta(days=5)
        if ship_day > ds.today:
            continue
        ship_lines = tuple(
            make_line(
                ln.line_no,
                ln.product_name,
                ln.quantity,
                ln.price,
                _rate_on(ln.vat_rate, ship_day),
                product_ref=ln.product_ref,
                unit_okei=ln.unit_okei,
            )
            for ln in inv.lines
        )
        ds.shipments.append(
            Shipment(
                f"{i + 1}",
                ship_day,
                inv.counterparty_ref,
                ship_lines,
                invoice_ref=inv.onec_ref,
                onec_ref=ref("shipment", i),
            )
        )


def _add_stock(ds: Dataset, rng: random.Random) -> None:
    """Stock of goods in both warehouses."""
    goods = [p for p in ds.products if p.kind is ProductKind.GOODS]
    for k, p in enumerate(goods):
        assert p.onec_ref is not None
        for w, wh in enumerate(ds.warehouses):
            if (k + w) % 4 == 3:
                continue
            assert wh.onec_ref is not None
            ds.stock.append(
                StockLevel(
                    p.onec_ref, wh.onec_ref, Decimal(rng.randint(0, 500)) / (1 if k % 3 else 4)
                )
            )
