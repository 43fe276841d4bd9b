"""1C:Управление торговлей 11: the composition the sandbox publishes.

Names follow research/onec.md A8 ([UTX] and captures). UT is not BP with other
names: a customer is a ``Партнер`` with one or more ``Контрагенты``; a sale runs
through a ``Соглашение`` and a ``ЗаказКлиента``; VAT is a reference to
``Catalog_СтавкиНДС``; goods have packages (``Catalog_УпаковкиЕдиницыИзмерения``)
and characteristics; stock is the accumulation register ``ТоварыНаСкладах``;
payments, shipments and returns hang on the order. Where the research names no field
list (agreements, packages, characteristics, cash and card documents, returns), the
fields are the ones UT 11.5 is known to have and the flows need; see
docs/decisions/onec-ut11.md.
"""

from __future__ import annotations

from desktop_sync.domain.vat import VatRate
from desktop_sync.sandbox.onec import shared_sets
from desktop_sync.sandbox.onec.schema import (
    AccumulationRegister,
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

CURRENCIES = "Catalog_Валюты"
ORGANIZATIONS = "Catalog_Организации"
BANK_ACCOUNTS = "Catalog_БанковскиеСчетаОрганизаций"
BANKS = "Catalog_КлассификаторБанков"  # БИК in Code
CASH_DESKS = "Catalog_Кассы"
PARTNERS = "Catalog_Партнеры"
COUNTERPARTIES = "Catalog_Контрагенты"
AGREEMENTS = "Catalog_СоглашенияСКлиентами"
CONTRACTS = "Catalog_ДоговорыКонтрагентов"
PRODUCTS = "Catalog_Номенклатура"
PRODUCT_KINDS = "Catalog_ВидыНоменклатуры"
PACKAGES = "Catalog_УпаковкиЕдиницыИзмерения"
CHARACTERISTICS = "Catalog_ХарактеристикиНоменклатуры"
VAT_RATES = "Catalog_СтавкиНДС"
WAREHOUSES = "Catalog_Склады"
PRICE_TYPES = "Catalog_ВидыЦен"
ORDERS = "Document_ЗаказКлиента"
SETTLEMENT_OBJECTS = "Catalog_ОбъектыРасчетов"
BANK_RECEIPTS = "Document_ПоступлениеБезналичныхДенежныхСредств"
CASH_RECEIPTS = "Document_ПриходныйКассовыйОрдер"
CARD_PAYMENTS = "Document_ОперацияПоПлатежнойКарте"
BANK_REFUNDS = "Document_СписаниеБезналичныхДенежныхСредств"
CASH_REFUNDS = "Document_РасходныйКассовыйОрдер"
SHIPMENTS = "Document_РеализацияТоваровУслуг"
RETURNS = "Document_ВозвратТоваровОтКлиента"
STOCK = "AccumulationRegister_ТоварыНаСкладах"
PRICES = "InformationRegister_ЦеныНоменклатуры25"
PRICE_SETTINGS = "Document_УстановкаЦенНоменклатуры"
RECEIPTS = "Document_ПриобретениеТоваровУслуг"
MOVES = "Document_ПеремещениеТоваров"

CHARACTERISTIC_USE = "ВариантыИспользованияХарактеристикНоменклатуры"

ENUMS: dict[str, tuple[str, ...]] = {
    # A partner is a company or a private person; its counterparties say more.
    "КомпанияЧастноеЛицо": ("Компания", "ЧастноеЛицо"),
    "ЮрФизЛицо": ("ЮрЛицо", "ЮрЛицоНеРезидент", "ИндивидуальныйПредприниматель", "ФизЛицо"),
    "ЮридическоеФизическоеЛицо": ("ЮридическоеЛицо", "ФизическоеЛицо"),
    "ТипыДоговоров": ("СКлиентом", "СПоставщиком", "СКомитентом", "СКомиссионером", "Прочее"),
    "СтатусыДоговоровКонтрагентов": ("НеСогласован", "Действует", "Закрыт"),
    "СтатусыСоглашенийСКлиентами": ("НеСогласовано", "Действует", "Закрыто"),
    "ПорядокРасчетов": ("ПоЗаказамНакладным", "ПоДоговорамКонтрагентов", "ПоНакладным"),
    "СтавкиНДС": tuple(r.value for r in VatRate),
    "ТипыНалогообложенияНДС": (
        "ПродажаОблагаетсяНДС",
        "ПродажаНеОблагаетсяНДС",
        "ЭкспортНесырьевыхТоваров",
    ),
    "ТипыНоменклатуры": ("Товар", "Услуга", "Работа", "МногооборотнаяТара", "Набор"),
    "ВариантыИспользованияХарактеристикНоменклатуры": (
        "НеИспользовать",
        "ОбщиеДляВидаНоменклатуры",
        "ИндивидуальныеДляНоменклатуры",
    ),
    "ТипыИзмеряемыхВеличин": ("Количество", "Вес", "Объем", "Длина", "Время", "Упаковка"),
    "ТипыКонтактнойИнформации": ("Адрес", "Телефон", "АдресЭлектроннойПочты", "ВебСтраница"),
    "ХозяйственныеОперации": (
        "РеализацияКлиенту",
        "ПоступлениеОплатыОтКлиента",
        "ВозвратОплатыКлиенту",
        "ВозвратТоваровОтКлиента",
        "ПрочееПоступлениеДенежныхСредств",
        "ОплатаПоставщику",
        "ЗакупкаУПоставщика",
        "ПеремещениеТоваров",
    ),
    # Prices take effect only from an agreed document (not captured from a live base).
    "СтатусыУстановокЦенНоменклатуры": ("НеСогласован", "Согласован"),
    "СтатусыЗаказовКлиентов": ("НеСогласован", "КОбеспечению", "КОтгрузке", "Закрыт"),
    "ВариантыОбеспечения": ("Отгрузить", "СоСклада", "Требуется", "НеТребуется", "КОбеспечению"),
    "СтатусыРеализацийТоваровУслуг": ("КОтгрузке", "ВПути", "Отгружено"),
    "ТипыОбъектовРасчетов": ("РасчетыСКлиентами", "РасчетыСПоставщиками"),
    "ФормыОплаты": ("Наличная", "Безналичная", "ПлатежнаяКарта"),
    "ВариантыОплатыКлиентом": ("ПредоплатаДоОтгрузки", "КредитПослеОтгрузки", "АвансДоОбеспечения"),
}

_CONTACTS = shared_sets.CONTACTS


def _payment_rows() -> TabularPart:
    """РасшифровкаПлатежа of UT's cash documents: the partner and the settlement object
    per row. UT 11.5 names what a payment settles in ``ОбъектРасчетов_Key`` (a catalog
    whose ``Объект`` is the order), as the [UTX] registers show; earlier 11.x named
    the order directly (``Заказ``). The sandbox serves the 11.5 form only."""
    return TabularPart(
        "РасшифровкаПлатежа",
        (
            int64("LineNumber"),
            ref("Партнер", PARTNERS),
            ref("Договор", CONTRACTS),
            ref("ОбъектРасчетов", SETTLEMENT_OBJECTS),
            number("Сумма"),
            number("СуммаВзаиморасчетов"),
            ref("СтавкаНДС", VAT_RATES),
            number("СуммаНДС"),
            enum("ВариантОплаты", "ВариантыОплатыКлиентом"),
        ),
    )


_PAYMENT_ROW_CHECKS = (("РасшифровкаПлатежа", "Партнер_Key", "Партнер"),)


def _goods_row(*extra: Field) -> tuple[Field, ...]:
    return (
        int64("LineNumber"),
        int64("КодСтроки"),
        ref("Номенклатура", PRODUCTS),
        ref("Характеристика", CHARACTERISTICS),
        ref("Упаковка", PACKAGES),
        number("КоличествоУпаковок"),
        number("Количество"),
        ref("ВидЦены", PRICE_TYPES),
        number("Цена"),
        number("ПроцентРучнойСкидки"),
        number("СуммаРучнойСкидки"),
        number("Сумма"),
        ref("СтавкаНДС", VAT_RATES),
        number("СуммаНДС"),
        number("СуммаСНДС"),
        text("Содержание"),
        *extra,
    )


def _goods_parties(partner: str) -> tuple[tuple[str, str], ...]:
    """What a return or a receipt of goods needs before posting: the organization,
    the partner (named as the document names it), its counterparty, the warehouse and
    the currency."""
    return (
        ("Организация_Key", "Организация"),
        ("Партнер_Key", partner),
        ("Контрагент_Key", "Контрагент"),
        ("Склад_Key", "Склад"),
        ("Валюта_Key", "Валюта"),
    )


def _cash_document(name: str, presentation: str, own: tuple[Field, ...]) -> EntitySet:
    return EntitySet(
        name,
        DOCUMENT,
        (
            enum("ХозяйственнаяОперация", "ХозяйственныеОперации"),
            ref("Организация", ORGANIZATIONS),
            ref("Контрагент", COUNTERPARTIES),
            ref("Валюта", CURRENCIES),
            number("СуммаДокумента"),
            memo("Комментарий"),
            *own,
        ),
        tabular=(_payment_rows(),),
        presentation=presentation,
        required_for_posting=(
            ("Организация_Key", "Организация"),
            ("Контрагент_Key", "Контрагент"),
            ("Валюта_Key", "Валюта"),
        ),
        required_in_rows=_PAYMENT_ROW_CHECKS,
    )


def build_schema() -> Schema:
    s = Schema("ut11", enums=dict(ENUMS))
    s.add(shared_sets.currencies(CURRENCIES))
    s.add(shared_sets.organizations("ЮрФизЛицо", "БанковскийСчетПоУмолчанию", BANK_ACCOUNTS))
    s.add(shared_sets.banks(BANKS))
    s.add(
        EntitySet(
            BANK_ACCOUNTS,
            CATALOG,
            (
                text("НомерСчета"),
                ref("Банк", BANKS),
                ref("ВалютаДенежныхСредств", CURRENCIES),
            ),
            owner=ORGANIZATIONS,
        )
    )
    s.add(
        EntitySet(
            CASH_DESKS, CATALOG, (ref("ВалютаДенежныхСредств", CURRENCIES),), owner=ORGANIZATIONS
        )
    )
    s.add(
        EntitySet(
            PARTNERS,
            CATALOG,
            (
                text("НаименованиеПолное"),
                enum("ЮрФизЛицо", "КомпанияЧастноеЛицо"),
                boolean("Клиент"),
                boolean("Поставщик"),
                boolean("ПрочиеОтношения"),
                memo("Комментарий"),
            ),
            tabular=(_CONTACTS,),
            hierarchical=True,
            code_length=9,
        )
    )
    s.add(
        EntitySet(
            COUNTERPARTIES,
            CATALOG,
            (
                ref("Партнер", PARTNERS),
                text("НаименованиеПолное"),
                # UT keeps both: its own four-valued kind and BP's two-valued one.
                enum("ЮрФизЛицо", "ЮрФизЛицо"),
                enum("ЮридическоеФизическоеЛицо", "ЮридическоеФизическоеЛицо"),
                text("ИНН", 12),
                text("КПП", 9),
                text("РегистрационныйНомер"),
                boolean("ОбособленноеПодразделение"),
                ref("ГоловнойКонтрагент", COUNTERPARTIES),
                memo("Комментарий"),
            ),
            tabular=(_CONTACTS,),
            code_length=9,
        )
    )
    s.add(
        EntitySet(
            VAT_RATES,
            CATALOG,
            (
                number("Ставка"),
                boolean("Расчетная"),
                boolean("НеОблагается"),
                enum("ПеречислениеСтавкаНДС", "СтавкиНДС"),
            ),
        )
    )
    s.add(EntitySet(WAREHOUSES, CATALOG, (), hierarchical=True))
    s.add(
        EntitySet(
            PRICE_TYPES,
            CATALOG,
            (ref("ВалютаЦены", CURRENCIES), boolean("ЦенаВключаетНДС"), boolean("Основной")),
        )
    )
    s.add(
        EntitySet(
            PRODUCT_KINDS,
            CATALOG,
            (
                enum("ТипНоменклатуры", "ТипыНоменклатуры"),
                enum("ИспользованиеХарактеристик", CHARACTERISTIC_USE),
                boolean("ИспользоватьУпаковки"),
            ),
        )
    )
    s.add(
        EntitySet(
            PACKAGES,
            CATALOG,
            (
                # Units of measure (no owner, Code = ОКЕИ) and packages of one product
                # (Owner = the product, Числитель base units in one package).
                *composite("Owner"),
                text("НаименованиеПолное"),
                text("МеждународноеСокращение"),
                enum("ТипИзмеряемойВеличины", "ТипыИзмеряемыхВеличин"),
                ref("ЕдиницаИзмерения", PACKAGES),
                number("Числитель"),
                number("Знаменатель"),
            ),
            code_length=3,
        )
    )
    s.add(
        EntitySet(
            PRODUCTS,
            CATALOG,
            (
                text("НаименованиеПолное"),
                text("Артикул", 25),
                ref("ВидНоменклатуры", PRODUCT_KINDS),
                enum("ТипНоменклатуры", "ТипыНоменклатуры"),
                ref("ЕдиницаИзмерения", PACKAGES),
                ref("СтавкаНДС", VAT_RATES),
                boolean("ИспользоватьУпаковки"),
                enum("ИспользованиеХарактеристик", CHARACTERISTIC_USE),
                memo("Комментарий"),
            ),
            hierarchical=True,
            code_length=11,
        )
    )
    s.add(
        EntitySet(
            CHARACTERISTICS,
            CATALOG,
            (*composite("Owner"), text("НаименованиеПолное")),
        )
    )
    s.add(
        EntitySet(
            AGREEMENTS,
            CATALOG,
            (
                ref("Партнер", PARTNERS),
                ref("Контрагент", COUNTERPARTIES),
                ref("Организация", ORGANIZATIONS),
                boolean("Типовое"),
                enum("Статус", "СтатусыСоглашенийСКлиентами"),
                date("ДатаНачалаДействия"),
                date("ДатаОкончанияДействия"),
                ref("ВидЦен", PRICE_TYPES),
                ref("Валюта", CURRENCIES),
                boolean("ЦенаВключаетНДС"),
                enum("НалогообложениеНДС", "ТипыНалогообложенияНДС"),
                enum("ХозяйственнаяОперация", "ХозяйственныеОперации"),
                enum("ПорядокРасчетов", "ПорядокРасчетов"),
                boolean("ИспользуютсяДоговорыКонтрагентов"),
                memo("Комментарий"),
            ),
            code_length=9,
        )
    )
    s.add(
        EntitySet(
            CONTRACTS,
            CATALOG,
            (
                ref("Партнер", PARTNERS),
                ref("Контрагент", COUNTERPARTIES),
                ref("Организация", ORGANIZATIONS),
                enum("ТипДоговора", "ТипыДоговоров"),
                enum("Статус", "СтатусыДоговоровКонтрагентов"),
                ref("ВалютаВзаиморасчетов", CURRENCIES),
                enum("ПорядокРасчетов", "ПорядокРасчетов"),
                text("НомерДоговора"),
                date("ДатаДоговора"),
                memo("Комментарий"),
            ),
            code_length=9,
        )
    )
    s.add(
        EntitySet(
            SETTLEMENT_OBJECTS,
            CATALOG,
            (
                *composite("Объект"),
                enum("ТипОбъектаРасчетов", "ТипыОбъектовРасчетов"),
                ref("Организация", ORGANIZATIONS),
                ref("Партнер", PARTNERS),
                ref("Контрагент", COUNTERPARTIES),
                ref("Договор", CONTRACTS),
                ref("Валюта", CURRENCIES),
            ),
        )
    )
    sale_header = (
        ref("Организация", ORGANIZATIONS),
        ref("Партнер", PARTNERS),
        ref("Контрагент", COUNTERPARTIES),
        ref("Соглашение", AGREEMENTS),
        ref("Договор", CONTRACTS),
        ref("Склад", WAREHOUSES),
        ref("Валюта", CURRENCIES),
        boolean("ЦенаВключаетНДС"),
        enum("НалогообложениеНДС", "ТипыНалогообложенияНДС"),
        enum("ХозяйственнаяОперация", "ХозяйственныеОперации"),
        number("СуммаДокумента"),
        memo("Комментарий"),
    )
    sale_required = (
        ("Организация_Key", "Организация"),
        ("Партнер_Key", "Клиент"),
        ("Контрагент_Key", "Контрагент"),
        ("Соглашение_Key", "Соглашение"),
        ("Склад_Key", "Склад"),
        ("Валюта_Key", "Валюта"),
    )
    goods_checks = (
        ("Товары", "Номенклатура_Key", "Номенклатура"),
        ("Товары", "СтавкаНДС_Key", "Ставка НДС"),
    )
    s.add(
        EntitySet(
            ORDERS,
            DOCUMENT,
            (
                *sale_header,
                enum("Статус", "СтатусыЗаказовКлиентов"),
                date("ЖелаемаяДатаОтгрузки"),
                enum("ФормаОплаты", "ФормыОплаты"),
                text("НомерПоДаннымКлиента"),
            ),
            tabular=(
                TabularPart(
                    "Товары",
                    _goods_row(
                        enum("ВариантОбеспечения", "ВариантыОбеспечения"),
                        ref("Склад", WAREHOUSES),
                        date("ДатаОтгрузки"),
                        boolean("Отменено"),
                    ),
                ),
                TabularPart(
                    "ЭтапыГрафикаОплаты",
                    (
                        int64("LineNumber"),
                        enum("ВариантОплаты", "ВариантыОплатыКлиентом"),
                        date("ДатаПлатежа"),
                        number("ПроцентПлатежа"),
                        number("СуммаПлатежа"),
                    ),
                ),
            ),
            number_prefix="0000-",
            presentation="Заказ клиента",
            required_for_posting=(*sale_required, ("Статус", "Статус")),
            required_in_rows=goods_checks,
        )
    )
    s.add(
        _cash_document(
            BANK_RECEIPTS,
            "Поступление безналичных ДС",
            (
                ref("БанковскийСчет", BANK_ACCOUNTS),
                memo("НазначениеПлатежа"),
                boolean("ПроведеноБанком"),
                date("ДатаПроведенияБанком"),
                text("НомерВходящегоДокумента"),
                date("ДатаВходящегоДокумента"),
            ),
        )
    )
    s.add(
        _cash_document(
            CASH_RECEIPTS,
            "Приходный кассовый ордер",
            (ref("Касса", CASH_DESKS), text("ПринятоОт"), text("Основание")),
        )
    )
    s.add(
        _cash_document(
            CARD_PAYMENTS,
            "Операция по платежной карте",
            (ref("БанковскийСчет", BANK_ACCOUNTS), memo("НазначениеПлатежа")),
        )
    )
    s.add(
        _cash_document(
            BANK_REFUNDS,
            "Списание безналичных ДС",
            (
                ref("БанковскийСчет", BANK_ACCOUNTS),
                memo("НазначениеПлатежа"),
                boolean("ПроведеноБанком"),
            ),
        )
    )
    s.add(
        _cash_document(
            CASH_REFUNDS,
            "Расходный кассовый ордер",
            (ref("Касса", CASH_DESKS), text("Выдать"), text("Основание")),
        )
    )
    s.add(
        EntitySet(
            SHIPMENTS,
            DOCUMENT,
            (
                *sale_header,
                enum("Статус", "СтатусыРеализацийТоваровУслуг"),
                *composite("ЗаказКлиента"),
            ),
            tabular=(TabularPart("Товары", _goods_row(*composite("ЗаказКлиента"))),),
            presentation="Реализация товаров и услуг",
            required_for_posting=sale_required,
            required_in_rows=goods_checks,
        )
    )
    s.add(
        EntitySet(
            RETURNS,
            DOCUMENT,
            sale_header,
            tabular=(TabularPart("Товары", _goods_row(*composite("ДокументРеализации"))),),
            presentation="Возврат товаров от клиента",
            required_for_posting=_goods_parties("Клиент"),
            required_in_rows=goods_checks,
        )
    )
    _add_stock_documents(s, sale_header)
    s.info_registers[PRICES] = InformationRegister(
        PRICES,
        dimensions=(
            ref("Номенклатура", PRODUCTS),
            ref("Характеристика", CHARACTERISTICS),
            ref("ВидЦены", PRICE_TYPES),
        ),
        resources=(number("Цена"),),
        attributes=(ref("Упаковка", PACKAGES), ref("Валюта", CURRENCIES)),
    )
    s.accumulation[STOCK] = AccumulationRegister(
        STOCK,
        dimensions=(
            ref("Номенклатура", PRODUCTS),
            ref("Характеристика", CHARACTERISTICS),
            ref("Назначение", "Catalog_Назначения"),
            ref("Склад", WAREHOUSES),
            ref("Помещение", "Catalog_СкладскиеПомещения"),
            ref("Серия", "Catalog_СерииНоменклатуры"),
        ),
        # ВНаличии is in [UTX]; the quantity promised to customers (КОтгрузке) is the
        # reserve: free stock = ВНаличии − КОтгрузке (see docs/decisions/onec-ut11.md).
        resources=("ВНаличии", "КОтгрузке"),
    )
    return s


def _add_stock_documents(s: Schema, sale_header: tuple[Field, ...]) -> None:
    """What the accountant does to prices and stock (fields UT 11.5 is known to have; not
    captured from a live base): the price-setting document, the recorder of
    ``ЦеныНоменклатуры25`` (its prices count once it is «Согласован»); goods bought from
    a supplier (``ВНаличии`` in); moves between warehouses (out of one, into the other).
    See docs/decisions/onec-ut11.md."""
    s.add(
        EntitySet(
            PRICE_SETTINGS,
            DOCUMENT,
            (enum("Статус", "СтатусыУстановокЦенНоменклатуры"), memo("Комментарий")),
            tabular=(
                TabularPart("ВидыЦен", (int64("LineNumber"), ref("ВидЦены", PRICE_TYPES))),
                TabularPart(
                    "Товары",
                    (
                        int64("LineNumber"),
                        ref("Номенклатура", PRODUCTS),
                        ref("Характеристика", CHARACTERISTICS),
                        ref("ВидЦены", PRICE_TYPES),
                        ref("Упаковка", PACKAGES),
                        number("Цена"),
                    ),
                ),
            ),
            presentation="Установка цен номенклатуры",
            required_for_posting=(("Статус", "Статус"),),
            required_in_rows=(
                ("Товары", "Номенклатура_Key", "Номенклатура"),
                ("Товары", "ВидЦены_Key", "Вид цены"),
            ),
        )
    )
    header = tuple(f for f in sale_header if f.name != "Соглашение_Key")
    s.add(
        EntitySet(
            RECEIPTS,
            DOCUMENT,
            (*header, text("НомерВходящегоДокумента"), date("ДатаВходящегоДокумента")),
            tabular=(TabularPart("Товары", _goods_row()),),
            presentation="Приобретение товаров и услуг",
            required_for_posting=_goods_parties("Поставщик"),
            required_in_rows=(("Товары", "Номенклатура_Key", "Номенклатура"),),
        )
    )
    rows = (
        int64("LineNumber"),
        ref("Номенклатура", PRODUCTS),
        ref("Характеристика", CHARACTERISTICS),
        ref("Упаковка", PACKAGES),
        number("КоличествоУпаковок"),
        number("Количество"),
    )
    operation = (enum("ХозяйственнаяОперация", "ХозяйственныеОперации"),)
    required = (("Товары", "Номенклатура_Key", "Номенклатура"),)
    s.add(shared_sets.moves(MOVES, operation, rows, required))
