"""1C:Бухгалтерия предприятия 3.0: the composition the sandbox publishes.

Entity and field names follow research/onec.md A7 (real BP JSON where captured).
Where the research names no field list (Организации, Склады, ПКО, returns), the
fields are the ones BP 3.0 is known to have and the flows need; see
docs/decisions/onec-sandbox.md.
"""

from __future__ import annotations

from desktop_sync.domain.vat import VatRate
from desktop_sync.sandbox.onec import shared_sets
from desktop_sync.sandbox.onec.schema import (
    AccountingRegister,
    EntitySet,
    Field,
    InformationRegister,
    Schema,
    SetKind,
    TabularPart,
    boolean,
    composite,
    date,
    enum,
    int64,
    memo,
    number,
    ref,
    text,
)

CATALOG = SetKind.CATALOG
DOCUMENT = SetKind.DOCUMENT

ACCOUNTS = "ChartOfAccounts_Хозрасчетный"
BANK_ACCOUNTS = "Catalog_БанковскиеСчета"
BANKS = "Catalog_Банки"  # banks of the account (БИК in Code); newer releases: КлассификаторБанков
COUNTERPARTIES = "Catalog_Контрагенты"
CONTRACTS = "Catalog_ДоговорыКонтрагентов"
CURRENCIES = "Catalog_Валюты"
ORGANIZATIONS = "Catalog_Организации"
PRODUCTS = "Catalog_Номенклатура"
UNITS = "Catalog_КлассификаторЕдиницИзмерения"
WAREHOUSES = "Catalog_Склады"
INVOICES = "Document_СчетНаОплатуПокупателю"
SHIPMENTS = "Document_РеализацияТоваровУслуг"
PRICES = "InformationRegister_ЦеныНоменклатуры"
PRICE_TYPES = "Catalog_ТипыЦенНоменклатуры"
PRICE_SETTINGS = "Document_УстановкаЦенНоменклатуры"
RECEIPTS = "Document_ПоступлениеТоваровУслуг"
MOVES = "Document_ПеремещениеТоваров"

ENUMS: dict[str, tuple[str, ...]] = {
    "ЮридическоеФизическоеЛицо": ("ЮридическоеЛицо", "ФизическоеЛицо"),
    "ВидыДоговоровКонтрагентов": (
        "СПокупателем",
        "СПоставщиком",
        "СКомитентом",
        "СКомиссионером",
        "Прочее",
    ),
    "СтавкиНДС": tuple(r.value for r in VatRate),
    # Not captured from a live base: the kinds BP 3.0 shows in the product card.
    "ВидыСтавокНДС": ("Общая", "Льготная", "Нулевая", "БезНДС"),
    "ТипыКонтактнойИнформации": ("Адрес", "Телефон", "АдресЭлектроннойПочты", "ВебСтраница"),
    "ВидыОперацийПоступлениеДенежныхСредств": (
        "ОплатаПокупателя",
        "ВозвратОтПоставщика",
        "ПрочееПоступление",
    ),
    "ВидыОперацийСписаниеДенежныхСредств": (
        "ВозвратПокупателю",
        "ОплатаПоставщику",
        "ПрочееСписание",
    ),
    "ВидыОперацийПКО": ("ОплатаПокупателя", "ВозвратОтПоставщика", "ПрочийПриход"),
    "ВидыОперацийРКО": ("ВозвратПокупателю", "ОплатаПоставщику", "ПрочийРасход"),
    "ВидыОперацийОперацияПоПлатежнойКарте": ("ОплатаПокупателя", "ВозвратПокупателю"),
    "ВидыОперацийРеализацияТоваров": ("Товары", "Услуги", "ТоварыУслуги"),
    "ВидыОперацийПоступлениеТоваровУслуг": ("Товары", "Услуги", "ТоварыУслуги"),
    "СпособыПогашенияЗадолженности": ("Автоматически", "ПоДокументу", "НеПогашать"),
    "ВидыСчетов": ("Активный", "Пассивный", "АктивноПассивный"),
}


def _payment_rows() -> TabularPart:
    return TabularPart(
        "РасшифровкаПлатежа",
        (
            int64("LineNumber"),
            ref("ДоговорКонтрагента", CONTRACTS),
            ref("СчетНаОплату", INVOICES),
            number("СуммаПлатежа"),
            number("СуммаВзаиморасчетов"),
            number("КурсВзаиморасчетов"),
            int64("КратностьВзаиморасчетов"),
            enum("СтавкаНДС", "СтавкиНДС"),
            number("СуммаНДС"),
            enum("СпособПогашенияЗадолженности", "СпособыПогашенияЗадолженности"),
            ref("СчетУчетаРасчетовСКонтрагентом", ACCOUNTS),
            ref("СчетУчетаРасчетовПоАвансам", ACCOUNTS),
        ),
    )


_PAYMENT_ROW_CHECKS = (
    ("РасшифровкаПлатежа", "ДоговорКонтрагента_Key", "Договор"),
    ("РасшифровкаПлатежа", "СчетУчетаРасчетовСКонтрагентом_Key", "Счет расчетов"),
)


_ORG_AND_PARTY = (("Организация_Key", "Организация"), ("Контрагент_Key", "Контрагент"))
# what posting a trade document (sale, return, receipt) requires filled
_TRADE_REQUIRED = (
    ("Организация_Key", "Организация"),
    ("Склад_Key", "Склад"),
    ("Контрагент_Key", "Контрагент"),
    ("ДоговорКонтрагента_Key", "Договор"),
    ("СчетУчетаРасчетовСКонтрагентом_Key", "Счет расчетов"),
)
# who and where a trade document (invoice, sale, return, receipt) names first
_TRADE_PARTIES = (
    ref("Организация", ORGANIZATIONS),
    ref("Склад", WAREHOUSES),
    ref("Контрагент", COUNTERPARTIES),
    ref("ДоговорКонтрагента", CONTRACTS),
)
# how a sale or a receipt is settled: currency, rate, VAT, total, settlement accounts
_SETTLEMENT = (
    ref("ВалютаДокумента", CURRENCIES),
    number("КурсВзаиморасчетов"),
    int64("КратностьВзаиморасчетов"),
    boolean("СуммаВключаетНДС"),
    number("СуммаДокумента"),
    ref("СчетУчетаРасчетовСКонтрагентом", ACCOUNTS),
    ref("СчетУчетаРасчетовПоАвансам", ACCOUNTS),
)
_GOODS_ACCOUNTED = (
    ("Товары", "Номенклатура_Key", "Номенклатура"),
    ("Товары", "СчетУчета_Key", "Счет учета"),
)


def build_schema() -> Schema:
    s = Schema("bp30", enums=dict(ENUMS))
    s.add(shared_sets.currencies(CURRENCIES))
    s.add(shared_sets.banks(BANKS))
    s.add(
        EntitySet(
            BANK_ACCOUNTS,
            CATALOG,
            (
                *composite("Owner"),
                text("НомерСчета"),
                ref("Банк", BANKS),
                ref("ВалютаДенежныхСредств", CURRENCIES),
            ),
        )
    )
    s.add(
        shared_sets.organizations(
            "ЮридическоеФизическоеЛицо", "ОсновнойБанковскийСчет", BANK_ACCOUNTS
        )
    )
    s.add(
        EntitySet(
            COUNTERPARTIES,
            CATALOG,
            (
                text("НаименованиеПолное"),
                enum("ЮридическоеФизическоеЛицо", "ЮридическоеФизическоеЛицо"),
                text("ИНН", 12),
                text("КПП", 9),
                text("КодПоОКПО"),
                text("РегистрационныйНомер"),
                ref("ГоловнойКонтрагент", COUNTERPARTIES),
                ref("ОсновнойБанковскийСчет", BANK_ACCOUNTS),
                ref("ОсновнойДоговорКонтрагента", CONTRACTS),
                memo("Комментарий"),
            ),
            tabular=(shared_sets.CONTACTS,),
            hierarchical=True,
            code_length=9,
        )
    )
    s.add(
        EntitySet(
            CONTRACTS,
            CATALOG,
            (
                ref("Организация", ORGANIZATIONS),
                enum("ВидДоговора", "ВидыДоговоровКонтрагентов"),
                ref("ВалютаВзаиморасчетов", CURRENCIES),
                text("Номер"),
                date("Дата"),
                int64("СрокОплаты"),
                memo("Комментарий"),
            ),
            owner=COUNTERPARTIES,
        )
    )
    s.add(
        EntitySet(
            UNITS,
            CATALOG,
            (text("НаименованиеПолное"), text("МеждународноеСокращение")),
            code_length=3,
        )
    )
    s.add(EntitySet("Catalog_ВидыНоменклатуры", CATALOG, (boolean("Услуга"),)))
    s.add(
        EntitySet(
            PRODUCTS,
            CATALOG,
            (
                text("НаименованиеПолное"),
                text("Артикул", 25),
                ref("ВидНоменклатуры", "Catalog_ВидыНоменклатуры"),
                ref("ЕдиницаИзмерения", UNITS),
                boolean("Услуга"),
                enum("ВидСтавкиНДС", "ВидыСтавокНДС"),
                enum("УдалитьСтавкаНДС", "СтавкиНДС"),
                memo("Комментарий"),
            ),
            hierarchical=True,
            code_length=11,
        )
    )
    s.add(EntitySet(WAREHOUSES, CATALOG, (), hierarchical=True))
    s.add(
        EntitySet(
            PRICE_TYPES,
            CATALOG,
            (ref("ВалютаЦены", CURRENCIES), boolean("ЦенаВключаетНДС")),
        )
    )
    s.add(
        EntitySet(
            "ChartOfCharacteristicTypes_ВидыСубконтоХозрасчетные",
            SetKind.CHART_OF_CHARACTERISTIC_TYPES,
            (),
        )
    )
    s.add(
        EntitySet(
            ACCOUNTS,
            SetKind.CHART_OF_ACCOUNTS,
            (enum("Вид", "ВидыСчетов"), boolean("Количественный"), boolean("Валютный")),
            tabular=(
                TabularPart(
                    "ExtDimensionTypes",
                    (
                        int64("LineNumber"),
                        ref(
                            "ExtDimensionType",
                            "ChartOfCharacteristicTypes_ВидыСубконтоХозрасчетные",
                        ),
                        boolean("TurnoversOnly"),
                        boolean("Суммовой"),
                        boolean("Количественный"),
                    ),
                ),
            ),
            hierarchical=True,
        )
    )

    goods_row = (
        int64("LineNumber"),
        ref("Номенклатура", PRODUCTS),
        number("Количество"),
        number("Цена"),
        number("Сумма"),
        enum("СтавкаНДС", "СтавкиНДС"),
        number("СуммаНДС"),
    )
    s.add(
        EntitySet(
            INVOICES,
            DOCUMENT,
            (
                *_TRADE_PARTIES,
                ref("СтруктурнаяЕдиница", BANK_ACCOUNTS),
                ref("ВалютаДокумента", CURRENCIES),
                number("КурсВзаиморасчетов"),
                int64("КратностьВзаиморасчетов"),
                ref("ТипЦен", PRICE_TYPES),
                boolean("СуммаВключаетНДС"),
                boolean("ДокументБезНДС"),
                number("СуммаДокумента"),
                memo("Комментарий"),
            ),
            tabular=(
                TabularPart(
                    "Товары",
                    (
                        *goods_row[:2],
                        text("Содержание"),
                        *goods_row[2:5],
                        number("ПроцентСкидки"),
                        number("СуммаСкидки"),
                        *goods_row[5:],
                    ),
                ),
            ),
            number_prefix="0000-",
            presentation="Счет на оплату покупателю",
            required_for_posting=(
                ("Организация_Key", "Организация"),
                ("Контрагент_Key", "Контрагент"),
                ("ДоговорКонтрагента_Key", "Договор"),
                ("СтруктурнаяЕдиница_Key", "Банковский счет"),
            ),
            required_in_rows=(("Товары", "Номенклатура_Key", "Номенклатура"),),
        )
    )
    payment_header = (
        ref("Организация", ORGANIZATIONS),
        ref("Контрагент", COUNTERPARTIES),
        ref("ВалютаДокумента", CURRENCIES),
        number("СуммаДокумента"),
        memo("Комментарий"),
    )
    bank = (ref("СчетОрганизации", BANK_ACCOUNTS),)
    bank_account = (("СчетОрганизации_Key", "Банковский счет"), ("СчетБанк_Key", "Счет учета"))
    cash_account = (("СчетКасса_Key", "Счет кассы"),)
    for name, operations, presentation, own, required in (
        (
            "Document_ПоступлениеНаРасчетныйСчет",
            "ВидыОперацийПоступлениеДенежныхСредств",
            "Поступление на расчетный счет",
            (
                *bank,
                ref("СчетБанк", ACCOUNTS),
                memo("НазначениеПлатежа"),
                text("НомерВходящегоДокумента"),
                date("ДатаВходящегоДокумента"),
            ),
            bank_account,
        ),
        (
            "Document_ПриходныйКассовыйОрдер",
            "ВидыОперацийПКО",
            "Приходный кассовый ордер",
            (ref("СчетКасса", ACCOUNTS), text("ПринятоОт"), text("Основание")),
            cash_account,
        ),
        (
            "Document_ОперацияПоПлатежнойКарте",
            "ВидыОперацийОперацияПоПлатежнойКарте",
            "Операция по платежной карте",
            (*bank, memo("НазначениеПлатежа")),
            (),
        ),
        (
            "Document_СписаниеСРасчетногоСчета",
            "ВидыОперацийСписаниеДенежныхСредств",
            "Списание с расчетного счета",
            (*bank, ref("СчетБанк", ACCOUNTS), memo("НазначениеПлатежа")),
            bank_account,
        ),
        (
            "Document_РасходныйКассовыйОрдер",
            "ВидыОперацийРКО",
            "Расходный кассовый ордер",
            (ref("СчетКасса", ACCOUNTS), text("Выдать"), text("Основание")),
            cash_account,
        ),
    ):
        s.add(
            EntitySet(
                name,
                DOCUMENT,
                (enum("ВидОперации", operations), *payment_header, *own),
                tabular=(_payment_rows(),),
                presentation=presentation,
                required_for_posting=(*_ORG_AND_PARTY, *required),
                required_in_rows=_PAYMENT_ROW_CHECKS,
            )
        )
    sale_accounts = (
        ref("СчетУчета", ACCOUNTS),
        ref("СчетДоходов", ACCOUNTS),
        ref("СчетРасходов", ACCOUNTS),
    )
    s.add(
        EntitySet(
            SHIPMENTS,
            DOCUMENT,
            (
                enum("ВидОперации", "ВидыОперацийРеализацияТоваров"),
                *_TRADE_PARTIES,
                ref("СчетНаОплатуПокупателю", INVOICES),
                *_SETTLEMENT,
                memo("Комментарий"),
            ),
            tabular=(
                TabularPart("Товары", (*goods_row, *sale_accounts, *composite("Субконто"))),
                TabularPart(
                    "Услуги",
                    (
                        *goods_row[:2],
                        text("Содержание"),
                        *goods_row[2:],
                        ref("СчетДоходов", ACCOUNTS),
                        *composite("Субконто"),
                    ),
                ),
            ),
            presentation="Реализация (акт, накладная, УПД)",
            required_for_posting=_TRADE_REQUIRED,
            required_in_rows=(
                *_GOODS_ACCOUNTED,
                ("Товары", "СчетДоходов_Key", "Счет доходов"),
                ("Услуги", "Номенклатура_Key", "Номенклатура"),
                ("Услуги", "СчетДоходов_Key", "Счет доходов"),
            ),
        )
    )
    s.add(
        EntitySet(
            "Document_ВозвратТоваровОтПокупателя",
            DOCUMENT,
            (
                *_TRADE_PARTIES,
                ref("ДокументРеализации", SHIPMENTS),
                ref("ВалютаДокумента", CURRENCIES),
                boolean("СуммаВключаетНДС"),
                number("СуммаДокумента"),
                ref("СчетУчетаРасчетовСКонтрагентом", ACCOUNTS),
                memo("Комментарий"),
            ),
            tabular=(
                TabularPart(
                    "Товары", (*goods_row, ref("СчетУчета", ACCOUNTS), number("Себестоимость"))
                ),
            ),
            presentation="Возврат товаров от покупателя",
            required_for_posting=_TRADE_REQUIRED,
            required_in_rows=_GOODS_ACCOUNTED,
        )
    )
    s.add(
        EntitySet(
            "Document_ОперацияБух",
            DOCUMENT,
            (
                ref("Организация", ORGANIZATIONS),
                number("СуммаОперации"),
                text("Содержание"),
                memo("Комментарий"),
            ),
            presentation="Операция",
            required_for_posting=(("Организация_Key", "Организация"),),
        )
    )
    _add_stock_documents(s, goods_row)
    s.info_registers[PRICES] = InformationRegister(
        PRICES,
        dimensions=(ref("Номенклатура", PRODUCTS), ref("ТипЦен", PRICE_TYPES)),
        resources=(number("Цена"),),
        attributes=(ref("Валюта", CURRENCIES),),
    )
    s.registers["AccountingRegister_Хозрасчетный"] = AccountingRegister(
        "AccountingRegister_Хозрасчетный",
        dimensions=(ref("Организация", ORGANIZATIONS),),
        resources=("Сумма", "Количество"),
    )
    return s


def _add_stock_documents(s: Schema, goods_row: tuple[Field, ...]) -> None:
    """What the accountant does to prices and stock (not captured from a live base; the
    fields BP 3.0 is known to have): the price-setting document, the recorder of
    ``ЦеныНоменклатуры``; goods receipts from a supplier (Дт 41.01, 19.03 — Кт 60.01);
    moves between warehouses (41.01 → 41.01). See docs/decisions/onec-sandbox.md."""
    s.add(
        EntitySet(
            PRICE_SETTINGS,
            DOCUMENT,
            (
                ref("ТипЦен", PRICE_TYPES),
                boolean("НеПроводитьНулевыеЗначения"),
                memo("Комментарий"),
            ),
            tabular=(
                TabularPart(
                    "Товары",
                    (int64("LineNumber"), ref("Номенклатура", PRODUCTS), number("Цена")),
                ),
            ),
            presentation="Установка цен номенклатуры",
            required_for_posting=(("ТипЦен_Key", "Тип цен"),),
            required_in_rows=(("Товары", "Номенклатура_Key", "Номенклатура"),),
        )
    )
    s.add(
        EntitySet(
            RECEIPTS,
            DOCUMENT,
            (
                enum("ВидОперации", "ВидыОперацийПоступлениеТоваровУслуг"),
                *_TRADE_PARTIES,
                *_SETTLEMENT,
                text("НомерВходящегоДокумента"),
                date("ДатаВходящегоДокумента"),
                memo("Комментарий"),
            ),
            tabular=(
                TabularPart(
                    "Товары",
                    (*goods_row, ref("СчетУчета", ACCOUNTS), ref("СчетУчетаНДС", ACCOUNTS)),
                ),
            ),
            presentation="Поступление (акт, накладная, УПД)",
            required_for_posting=_TRADE_REQUIRED,
            required_in_rows=_GOODS_ACCOUNTED,
        )
    )
    rows = (
        int64("LineNumber"),
        ref("Номенклатура", PRODUCTS),
        number("Количество"),
        ref("СчетУчета", ACCOUNTS),
    )
    s.add(shared_sets.moves(MOVES, (), rows, _GOODS_ACCOUNTED))
