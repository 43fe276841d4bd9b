"""Configuration profiles: every 1C name the client uses, in one place per configuration.

1C silently ignores unknown fields on writes (research/onec.md A5), so a
misspelt or unpublished field would lose data without a word. The profile is
therefore checked against the live ``$metadata`` (:meth:`Profile.validate`) when
connecting and by ``check``. ``UT11`` (1C:Управление торговлей 11) stands beside ``BP30``.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_sync.connectors.onec.metadata import Metadata
from desktop_sync.domain.entities import PaymentKind


@dataclass(frozen=True, slots=True)
class Problem:
    entity: str
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    title: str
    sets: dict[str, str]  # logical name -> entity set
    fields: dict[str, tuple[str, ...]]  # logical name -> fields the client uses
    payment_sets: dict[PaymentKind, str]
    writes: tuple[str, ...]  # logical names the flows create or change
    vat_as_enum: bool = True  # rows carry СтавкаНДС names (BP); UT: СтавкаНДС_Key
    goods_account: str = "41.01"
    receivables_account: str = "62.01"
    advances_account: str = "62.02"
    income_account: str = "90.01.1"
    cost_account: str = "90.02.1"
    bank_account_code: str = "51"
    cash_account_code: str = "50.01"
    accounting_register: str = "AccountingRegister_Хозрасчетный"
    product_type: str = "StandardODATA.Catalog_Номенклатура"
    warehouse_type: str = "StandardODATA.Catalog_Склады"
    customer_contract_kind: str = "СПокупателем"
    functions: tuple[str, ...] = ("Post", "Unpost", "Balance", "SliceLast")
    # UT 11: the accumulation register of stock (its Balance table) and the type the
    # payment rows' composite ``Заказ`` names an order with.
    stock_register: str = ""
    order_type: str = ""

    def set(self, logical: str) -> str:
        return self.sets[logical]

    def validate(self, meta: Metadata) -> list[Problem]:
        """Everything the profile needs that the base does not publish."""
        problems: list[Problem] = []
        for logical, entity in self.sets.items():
            if entity not in meta.sets:
                problems.append(
                    Problem(
                        entity,
                        "",
                        f"1C does not publish {entity} over OData: add it to the OData "
                        "composition (processing «Настройка стандартного интерфейса OData» or "
                        "УстановитьСоставСтандартногоИнтерфейсаOData)",
                    )
                )
                continue
            for f in self.fields.get(logical, ()):
                if not meta.has(entity, f):
                    problems.append(
                        Problem(
                            entity,
                            f,
                            f"1C publishes {entity} without the field {f}: the configuration "
                            f"is not {self.title}, or it is a different version",
                        )
                    )
        for fn in self.functions:
            if fn not in meta.functions:
                problems.append(Problem("", fn, f"1C publishes no function {fn}"))
        return problems


# A counterparty's requisites and contacts, the same in BP 3.0 and UT 11.
_COUNTERPARTY = (
    "ИНН",
    "КПП",
    "ГоловнойКонтрагент_Key",
    "Комментарий",
    "КонтактнаяИнформация",
    *(
        f"КонтактнаяИнформация/{f}"
        for f in ("LineNumber", "Тип", "Представление", "НомерТелефона", "АдресЭП")
    ),
)
_DOC = ("Ref_Key", "DataVersion", "DeletionMark", "Number", "Date", "Posted")
_CAT = ("Ref_Key", "DataVersion", "DeletionMark", "Code", "Description")
_ROWS = ("LineNumber", "Номенклатура_Key", "Количество", "Цена", "Сумма", "СтавкаНДС", "СуммаНДС")
_PAY = (
    *_DOC, "Контрагент_Key", "СуммаДокумента", "Организация_Key", "РасшифровкаПлатежа",
    *(f"РасшифровкаПлатежа/{f}" for f in (
        "LineNumber", "СчетНаОплату_Key", "СуммаПлатежа", "ДоговорКонтрагента_Key")),
)  # fmt: skip

# The sets both configurations publish under the same names.
_SAME_SETS = {
    "organizations": "Catalog_Организации",
    "counterparties": "Catalog_Контрагенты",
    "contracts": "Catalog_ДоговорыКонтрагентов",
    "products": "Catalog_Номенклатура",
    "product_kinds": "Catalog_ВидыНоменклатуры",
    "warehouses": "Catalog_Склады",
    "currencies": "Catalog_Валюты",
    "cash_receipts": "Document_ПриходныйКассовыйОрдер",
    "card_payments": "Document_ОперацияПоПлатежнойКарте",
    "cash_refunds": "Document_РасходныйКассовыйОрдер",
    "shipments": "Document_РеализацияТоваровУслуг",
}
# Each kind of payment by the logical name of its set (the same in both configurations).
_PAYMENT_LOGICAL = {
    PaymentKind.BANK: "bank_receipts",
    PaymentKind.CASH: "cash_receipts",
    PaymentKind.CARD: "card_payments",
    PaymentKind.BANK_REFUND: "bank_refunds",
    PaymentKind.CASH_REFUND: "cash_refunds",
}


def _payment_sets(sets: dict[str, str]) -> dict[PaymentKind, str]:
    """The entity set each kind of payment is read from, in a configuration's ``sets``."""
    return {kind: sets[logical] for kind, logical in _PAYMENT_LOGICAL.items()}


_BP30_SETS = {
    **_SAME_SETS,
    "units": "Catalog_КлассификаторЕдиницИзмерения",
    "price_types": "Catalog_ТипыЦенНоменклатуры",
    "bank_accounts": "Catalog_БанковскиеСчета",
    "accounts": "ChartOfAccounts_Хозрасчетный",
    "invoices": "Document_СчетНаОплатуПокупателю",
    "bank_receipts": "Document_ПоступлениеНаРасчетныйСчет",
    "bank_refunds": "Document_СписаниеСРасчетногоСчета",
    "returns": "Document_ВозвратТоваровОтПокупателя",
    "prices": "InformationRegister_ЦеныНоменклатуры_RecordType",
}

BP30 = Profile(
    name="bp30",
    title="1С:Бухгалтерия предприятия 3.0",
    sets=_BP30_SETS,
    # Every field the client reads or writes: 1C ignores unknown fields on writes,
    # so a field missing here would be lost without a word (checked by a test).
    fields={
        "organizations": (*_CAT, "ИНН", "КПП", "ОсновнойБанковскийСчет_Key"),
        "counterparties": (
            *_CAT,
            "IsFolder",
            "НаименованиеПолное",
            "ЮридическоеФизическоеЛицо",
            *_COUNTERPARTY,
        ),
        "contracts": (
            *_CAT,
            "Owner_Key",
            "Организация_Key",
            "ВидДоговора",
            "ВалютаВзаиморасчетов_Key",
            "Комментарий",
        ),
        "products": (
            *_CAT,
            "IsFolder",
            "НаименованиеПолное",
            "Артикул",
            "ЕдиницаИзмерения_Key",
            "Услуга",
            "ВидСтавкиНДС",
            "ВидНоменклатуры_Key",
            "Комментарий",
        ),
        "product_kinds": ("Ref_Key", "Услуга"),
        "units": _CAT,
        "warehouses": (*_CAT, "IsFolder"),
        "price_types": _CAT,
        "currencies": _CAT,
        "bank_accounts": ("Ref_Key",),
        "accounts": ("Ref_Key", "Code"),
        "prices": ("Period", "Номенклатура_Key", "ТипЦен_Key", "Цена"),
        "invoices": (
            *_DOC,
            "Организация_Key",
            "Контрагент_Key",
            "ДоговорКонтрагента_Key",
            "СтруктурнаяЕдиница_Key",
            "ВалютаДокумента_Key",
            "КурсВзаиморасчетов",
            "КратностьВзаиморасчетов",
            "СуммаВключаетНДС",
            "СуммаДокумента",
            "Комментарий",
            "Товары",
            *(f"Товары/{f}" for f in (*_ROWS, "Содержание", "СуммаСкидки")),
        ),
        "bank_receipts": (*_PAY, "НазначениеПлатежа", "СчетОрганизации_Key"),
        "cash_receipts": (*_PAY, "Основание"),
        "card_payments": (*_PAY, "НазначениеПлатежа"),
        "bank_refunds": (*_PAY, "НазначениеПлатежа"),
        "cash_refunds": (*_PAY, "Основание"),
        "shipments": (
            *_DOC,
            "Контрагент_Key",
            "СчетНаОплатуПокупателю_Key",
            "Склад_Key",
            "СуммаВключаетНДС",
            "Товары",
            "Услуги",
            *(f"Товары/{f}" for f in _ROWS),
            *(f"Услуги/{f}" for f in (*_ROWS, "Содержание")),
        ),
        "returns": (
            *_DOC,
            "Контрагент_Key",
            "ДокументРеализации_Key",
            "СуммаВключаетНДС",
            "Товары",
            *(f"Товары/{f}" for f in _ROWS),
        ),
    },
    payment_sets=_payment_sets(_BP30_SETS),
    writes=("counterparties", "contracts", "products", "invoices"),
)

_UT_ROWS = (
    "LineNumber",
    "КодСтроки",
    "Номенклатура_Key",
    "Характеристика_Key",
    "Упаковка_Key",
    "КоличествоУпаковок",
    "Количество",
    "ВидЦены_Key",
    "Цена",
    "СуммаРучнойСкидки",
    "Сумма",
    "СтавкаНДС_Key",
    "СуммаНДС",
    "СуммаСНДС",
)
# A UT 11 sale's header that its base order gives it (``sales``: a sale made from one)
UT_SALE_HEADER = (
    "Организация_Key",
    "Партнер_Key",
    "Контрагент_Key",
    "Соглашение_Key",
    "Договор_Key",
    "Склад_Key",
    "Валюта_Key",
    "ЦенаВключаетНДС",
    "НалогообложениеНДС",
)
_UT_SALE = (
    *_DOC,
    *UT_SALE_HEADER,
    "ХозяйственнаяОперация",
    "СуммаДокумента",
    "Комментарий",
    "Товары",
)
_UT_PAY = (
    *_DOC, "Контрагент_Key", "СуммаДокумента", "Организация_Key", "ХозяйственнаяОперация",
    "РасшифровкаПлатежа",
    *(f"РасшифровкаПлатежа/{f}" for f in (
        "LineNumber", "Партнер_Key", "Договор_Key", "ОбъектРасчетов_Key", "Сумма")),
)  # fmt: skip

_UT11_SETS = {
    **_SAME_SETS,
    "partners": "Catalog_Партнеры",
    "agreements": "Catalog_СоглашенияСКлиентами",
    # Units and packages are one catalog in UT 11: a unit has no owner, a package
    # belongs to one product.
    "units": "Catalog_УпаковкиЕдиницыИзмерения",
    "characteristics": "Catalog_ХарактеристикиНоменклатуры",
    "vat_rates": "Catalog_СтавкиНДС",
    "price_types": "Catalog_ВидыЦен",
    "invoices": "Document_ЗаказКлиента",
    # What a payment row settles (UT 11.5): its Объект is the order.
    "settlement_objects": "Catalog_ОбъектыРасчетов",
    "bank_receipts": "Document_ПоступлениеБезналичныхДенежныхСредств",
    "bank_refunds": "Document_СписаниеБезналичныхДенежныхСредств",
    "returns": "Document_ВозвратТоваровОтКлиента",
    "prices": "InformationRegister_ЦеныНоменклатуры25_RecordType",
    "stock": "AccumulationRegister_ТоварыНаСкладах_RecordType",
}

UT11 = Profile(
    name="ut11",
    title="1С:Управление торговлей 11",
    sets=_UT11_SETS,
    fields={
        "organizations": (*_CAT, "ИНН", "КПП", "БанковскийСчетПоУмолчанию_Key"),
        "partners": (*_CAT, "IsFolder", "НаименованиеПолное", "ЮрФизЛицо", "Клиент", "Комментарий"),
        "counterparties": (
            *_CAT,
            "Партнер_Key",
            "НаименованиеПолное",
            "ЮрФизЛицо",
            "ЮридическоеФизическоеЛицо",
            *_COUNTERPARTY,
        ),
        "agreements": (
            *_CAT,
            "Партнер_Key",
            "Контрагент_Key",
            "Организация_Key",
            "Типовое",
            "Статус",
            "ДатаНачалаДействия",
            "ДатаОкончанияДействия",
            "ВидЦен_Key",
            "НалогообложениеНДС",
            "ИспользуютсяДоговорыКонтрагентов",
        ),
        "contracts": (
            *_CAT,
            "Партнер_Key",
            "Контрагент_Key",
            "Организация_Key",
            "ТипДоговора",
            "Статус",
            "ВалютаВзаиморасчетов_Key",
            "ПорядокРасчетов",
            "Комментарий",
        ),
        "products": (
            *_CAT,
            "IsFolder",
            "НаименованиеПолное",
            "Артикул",
            "ВидНоменклатуры_Key",
            "ТипНоменклатуры",
            "ЕдиницаИзмерения_Key",
            "СтавкаНДС_Key",
            "ИспользованиеХарактеристик",
            "Комментарий",
        ),
        "product_kinds": ("Ref_Key", "ТипНоменклатуры", "ИспользованиеХарактеристик"),
        "units": (*_CAT, "Owner", "Owner_Type", "ЕдиницаИзмерения_Key", "Числитель", "Знаменатель"),
        "characteristics": (*_CAT, "Owner", "Owner_Type"),
        "vat_rates": (*_CAT, "ПеречислениеСтавкаНДС"),
        "settlement_objects": ("Ref_Key", "DataVersion", "Объект", "Объект_Type"),
        "warehouses": (*_CAT, "IsFolder"),
        "price_types": (*_CAT, "Основной"),
        "currencies": _CAT,
        "prices": ("Period", "Номенклатура_Key", "Характеристика_Key", "ВидЦены_Key", "Цена"),
        "stock": ("Номенклатура_Key", "Характеристика_Key", "Склад_Key", "ВНаличии", "КОтгрузке"),
        "invoices": (
            *_UT_SALE,
            "Статус",
            "ЖелаемаяДатаОтгрузки",
            "ФормаОплаты",
            "ЭтапыГрафикаОплаты",
            *(f"Товары/{f}" for f in (*_UT_ROWS, "ВариантОбеспечения", "Склад_Key", "Отменено")),
            *(
                f"ЭтапыГрафикаОплаты/{f}"
                for f in (
                    "LineNumber",
                    "ВариантОплаты",
                    "ДатаПлатежа",
                    "ПроцентПлатежа",
                    "СуммаПлатежа",
                )
            ),
        ),
        "bank_receipts": (*_UT_PAY, "НазначениеПлатежа"),
        "cash_receipts": (*_UT_PAY, "Основание"),
        "card_payments": (*_UT_PAY, "НазначениеПлатежа"),
        "bank_refunds": (*_UT_PAY, "НазначениеПлатежа"),
        "cash_refunds": (*_UT_PAY, "Основание"),
        "shipments": (
            *_UT_SALE,
            "ЗаказКлиента",
            "ЗаказКлиента_Type",
            *(f"Товары/{f}" for f in _UT_ROWS),
        ),
        "returns": (
            *_UT_SALE,
            *(f"Товары/{f}" for f in (*_UT_ROWS, "ДокументРеализации", "ДокументРеализации_Type")),
        ),
    },
    payment_sets=_payment_sets(_UT11_SETS),
    writes=("partners", "counterparties", "contracts", "products", "invoices"),
    vat_as_enum=False,
    customer_contract_kind="СКлиентом",
    stock_register="AccumulationRegister_ТоварыНаСкладах",
    order_type="StandardODATA.Document_ЗаказКлиента",
)

PROFILES: dict[str, Profile] = {"bp30": BP30, "ut11": UT11}

# What tells one configuration from another in $metadata (objects only it has).
_MARKERS = {
    "bp30": ("Document_СчетНаОплатуПокупателю", "ChartOfAccounts_Хозрасчетный"),
    "ut11": ("Document_ЗаказКлиента", "Catalog_Партнеры", "Catalog_СоглашенияСКлиентами"),
}


def detect(meta: Metadata) -> str | None:
    """``bp30``/``ut11`` from the published objects, or ``None`` when neither fits.

    Only what is published can be seen: a base that publishes too little is
    reported as unknown rather than guessed.
    """
    for name, markers in _MARKERS.items():
        if all(m in meta.sets for m in markers):
            return name
    return None


def profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown 1C configuration {name!r}: bp30 or ut11") from None
