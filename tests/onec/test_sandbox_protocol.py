"""The sandbox answers as 1C does (research/onec.md "facts the emulator must get right")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from desktop_sync.domain.money import loads_decimal
from desktop_sync.sandbox.onec import OnecSandbox

ZERO = "00000000-0000-0000-0000-000000000000"
INVOICES = "Document_СчетНаОплатуПокупателю"


@pytest.fixture
def http(sandbox: OnecSandbox) -> Iterator[httpx.Client]:
    sandbox.faults.clear()
    with httpx.Client(auth=(sandbox.user, sandbox.password), timeout=5) as c:
        yield c


def get(http: httpx.Client, sb: OnecSandbox, path: str, **params: str) -> httpx.Response:
    qs = "&".join(f"{k}={quote(v, safe=chr(39) + '(),$:/')}" for k, v in params.items())
    return http.get(f"{sb.url}/{path}" + (f"?{qs}" if qs else ""))


def js(r: httpx.Response) -> Any:
    return loads_decimal(r.content)


def first_invoice(http: httpx.Client, sb: OnecSandbox) -> dict[str, Any]:
    rows: list[dict[str, Any]] = js(get(http, sb, INVOICES, **{"$format": "json", "$top": "1"}))[
        "value"
    ]
    return rows[0]


def test_atom_is_default_and_json_on_request(http: httpx.Client, sandbox: OnecSandbox) -> None:
    r = get(http, sandbox, "Catalog_Склады")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    assert "<m:properties>" in r.text and '<d:Ref_Key m:type="Edm.Guid">' in r.text
    r = http.get(f"{sandbox.url}/Catalog_Склады", headers={"Accept": "application/json"})
    assert r.headers["content-type"].startswith("application/json")
    data = r.json()
    assert data["odata.metadata"] == f"{sandbox.url}/$metadata#Catalog_Склады"
    assert isinstance(data["value"], list) and "odata.nextLink" not in data


def test_values_in_1c_form(http: httpx.Client, sandbox: OnecSandbox) -> None:
    inv = first_invoice(http, sandbox)
    assert inv["КратностьВзаиморасчетов"] == "1"  # Edm.Int64 is a string
    row = inv["Товары"][0]
    assert row["LineNumber"] == "1" and row["Ref_Key"] == inv["Ref_Key"]
    assert inv["ТипЦен_Key"] == ZERO
    assert inv["Контрагент@navigationLinkUrl"] == (f"{INVOICES}(guid'{inv['Ref_Key']}')/Контрагент")
    assert "@odata.navigationLinkUrl" not in r_text(inv)
    assert row["СтавкаНДС"] in ("НДС22", "НДС20", "НДС10", "НДС0", "БезНДС")
    assert len(inv["DataVersion"]) == 12 and inv["DataVersion"].endswith("=")
    contract = js(
        get(http, sandbox, "Catalog_ДоговорыКонтрагентов", **{"$format": "json", "$top": "1"})
    )["value"][0]
    assert contract["Дата"] == "0001-01-01T00:00:00"
    acc = js(get(http, sandbox, "Catalog_БанковскиеСчета", **{"$format": "json"}))["value"][0]
    assert acc["Owner_Type"] == "StandardODATA.Catalog_Организации"


def r_text(obj: Any) -> str:
    return repr(obj)


def test_single_entity_is_flat(http: httpx.Client, sandbox: OnecSandbox) -> None:
    inv = first_invoice(http, sandbox)
    r = get(http, sandbox, f"{INVOICES}(guid'{inv['Ref_Key']}')", **{"$format": "json"})
    data = js(r)
    assert data["odata.metadata"].endswith(f"$metadata#{INVOICES}/@Element")
    assert data["Ref_Key"] == inv["Ref_Key"] and "value" not in data


def test_metadata_and_service_document(http: httpx.Client, sandbox: OnecSandbox) -> None:
    r = get(http, sandbox, "$metadata", **{"$format": "json"})
    assert r.headers["content-type"].startswith("application/xml")  # XML only
    assert 'Namespace="StandardODATA"' in r.text and 'm:DataServiceVersion="3.0"' in r.text
    assert '<FunctionImport Name="Post" IsBindable="true" IsSideEffecting="true">' in r.text
    assert f'<EntitySet Name="{INVOICES}_Товары"' in r.text
    svc = get(http, sandbox, "")
    for name in sandbox.store.schema.sets:
        assert f'<collection href="{name}">' in svc.text
        assert f'<EntityType Name="{name}">' in r.text


def test_inlinecount_skip_first_and_count(http: httpx.Client, sandbox: OnecSandbox) -> None:
    everything = js(get(http, sandbox, INVOICES, **{"$format": "json", "$select": "Ref_Key"}))
    refs = [r["Ref_Key"] for r in everything["value"]]
    r = http.get(
        f"{sandbox.url}/{INVOICES}?$top=3&$skip=2&$format=json&$select=Ref_Key"
        "&$inlinecount=allpages"
    )
    data = js(r)
    assert data["odata.count"] == str(len(refs))
    assert [x["Ref_Key"] for x in data["value"]] == refs[2:5]
    c = get(http, sandbox, f"{INVOICES}/$count")
    assert c.content.startswith(b"\xef\xbb\xbf") and c.text.lstrip("\ufeff") == str(len(refs))


def err(r: httpx.Response) -> tuple[int, str, str]:
    e = r.json()["odata.error"]
    assert e["message"]["lang"] == "ru"
    return r.status_code, e["code"], e["message"]["value"]


@pytest.mark.parametrize(
    ("flt", "code"),
    [
        ("tolower(Description) eq 'а'", "21"),
        ("length(Description) gt 3", "21"),
        ("contains(Description,'а')", "21"),
        ("Ref_Key eq guid'51'", "14"),
        ("НетТакогоПоля eq 1", "14"),
        ("Description eq 'незакрытая", "14"),
    ],
)
def test_filter_errors(http: httpx.Client, sandbox: OnecSandbox, flt: str, code: str) -> None:
    status, got, _ = err(
        get(http, sandbox, "Catalog_Контрагенты", **{"$format": "json", "$filter": flt})
    )
    assert (status, got) == (400, code)


def names(r: httpx.Response) -> list[str]:
    return [x["Description"] for x in js(r)["value"]]


def test_filter_features(http: httpx.Client, sandbox: OnecSandbox) -> None:
    f = {"$format": "json", "$select": "Description"}
    got = names(
        get(
            http,
            sandbox,
            "Catalog_Контрагенты",
            **f,
            **{"$filter": "substringof('o''neill', Description)"},
        )
    )
    assert got == ["АО «O'Neill Трейд» (филиал)"]
    got = names(
        get(
            http, sandbox, "Catalog_Контрагенты", **f, **{"$filter": "like(Description, 'ООО «Р%')"}
        )
    )
    assert got and all(n.startswith("ООО «Р") for n in got)
    got = names(
        get(
            http,
            sandbox,
            "Catalog_Номенклатура",
            **f,
            **{"$filter": "substringof('24\"', Description) and Услуга eq false"},
        )
    )
    assert got and all('24"' in n for n in got)
    # navigation path and lambda on a tabular part
    cp = js(
        get(http, sandbox, INVOICES, **{"$format": "json", "$top": "1", "$expand": "Контрагент"})
    )["value"][0]
    inn = cp["Контрагент"]["ИНН"]
    rows = js(
        get(
            http,
            sandbox,
            INVOICES,
            **{"$format": "json", "$select": "Ref_Key", "$filter": f"Контрагент/ИНН eq '{inn}'"},
        )
    )
    assert cp["Ref_Key"] in [x["Ref_Key"] for x in rows["value"]]
    rows = js(
        get(
            http,
            sandbox,
            INVOICES,
            **{
                "$format": "json",
                "$select": "Ref_Key,Товары/Цена",
                "$filter": "Товары/any(d: d/Цена gt 40000)",
            },
        )
    )["value"]
    assert rows and all(any(t["Цена"] > 40000 for t in r["Товары"]) for r in rows)


def test_composite_needs_cast(http: httpx.Client, sandbox: OnecSandbox) -> None:
    acc = js(get(http, sandbox, "Catalog_БанковскиеСчета", **{"$format": "json"}))["value"][0]
    owner = acc["Owner"]
    bare = js(
        get(
            http,
            sandbox,
            "Catalog_БанковскиеСчета",
            **{"$format": "json", "$filter": f"Owner eq guid'{owner}'"},
        )
    )["value"]
    cast = js(
        get(
            http,
            sandbox,
            "Catalog_БанковскиеСчета",
            **{
                "$format": "json",
                "$filter": f"Owner eq cast(guid'{owner}', 'Catalog_Организации')",
            },
        )
    )
    assert bare == [] and len(cast["value"]) == 1


def test_unlimited_string_cannot_be_compared(http: httpx.Client, sandbox: OnecSandbox) -> None:
    r = get(http, sandbox, INVOICES, **{"$format": "json", "$filter": "Комментарий eq ''"})
    assert err(r)[:2] == (500, "-1")


def test_not_found_and_unpublished(http: httpx.Client, sandbox: OnecSandbox) -> None:
    assert get(http, sandbox, "Catalog_Пользователи", **{"$format": "json"}).status_code == 404
    r = get(http, sandbox, f"Catalog_Склады(guid'{ZERO[:-1]}1')", **{"$format": "json"})
    assert err(r)[:2] == (404, "9")


def test_expand_rules(http: httpx.Client, sandbox: OnecSandbox) -> None:
    inv = first_invoice(http, sandbox)
    r = get(
        http,
        sandbox,
        f"{INVOICES}(guid'{inv['Ref_Key']}')",
        **{"$format": "json", "$expand": "Контрагент"},
    )
    assert r.status_code == 400
    r = get(http, sandbox, INVOICES, **{"$format": "json", "$expand": "Товары"})
    assert r.status_code == 400


def test_wrong_password_and_cyrillic_user(sandbox: OnecSandbox) -> None:
    with httpx.Client(auth=(sandbox.user, "не тот"), timeout=5) as c:
        r = c.get(f"{sandbox.url}/Catalog_Склады")
    assert r.status_code == 401 and "Basic" in r.headers["www-authenticate"]
    with httpx.Client(auth=(sandbox.user.encode(), sandbox.password.encode()), timeout=5) as c:
        assert c.get(f"{sandbox.url}/Catalog_Склады").status_code == 200


def test_rights_and_allowed_only(sandbox: OnecSandbox) -> None:
    with httpx.Client(auth=(sandbox.limited_user, sandbox.limited_password), timeout=5) as c:
        r = c.get(f"{sandbox.url}/Document_ПоступлениеНаРасчетныйСчет?$format=json")
        assert err(r)[:2] == (401, "20") and "www-authenticate" not in r.headers
        r = c.get(f"{sandbox.url}/Catalog_Контрагенты?$format=json")
        assert err(r)[:2] == (401, "20")
        r = c.get(f"{sandbox.url}/Catalog_Контрагенты?$format=json&allowedOnly=true")
        rows = r.json()["value"]
        assert rows and all(x["ЮридическоеФизическоеЛицо"] == "ЮридическоеЛицо" for x in rows)


def test_writes_as_1c_does(fresh: OnecSandbox) -> None:
    with httpx.Client(auth=(fresh.user, fresh.password), timeout=5) as c:
        base = fresh.url
        key = "11111111-2222-3333-4444-555555555555"
        body = {
            "Ref_Key": key,
            "Description": "ООО «Новый»",
            "НетТакогоПоля": 1,
            "ЮридическоеФизическоеЛицо": "ЮридическоеЛицо",
        }
        r = c.post(f"{base}/Catalog_Контрагенты?$format=json", json=body)
        assert r.status_code == 201
        assert unquote(r.headers["location"]) == f"{base}/Catalog_Контрагенты(guid'{key}')"
        created = r.json()
        assert created["Ref_Key"] == key and created["Code"] and "НетТакогоПоля" not in created
        again = c.post(f"{base}/Catalog_Контрагенты?$format=json", json=body)
        assert err(again)[1] == "15"
        r = c.patch(
            f"{base}/Catalog_Контрагенты(guid'{key}')?$format=json", json={"ИНН": "7707083893"}
        )
        assert r.status_code == 200 and r.json()["DataVersion"] != created["DataVersion"]
        assert r.json()["Description"] == "ООО «Новый»"  # PATCH is partial
        r = c.patch(
            f"{base}/Catalog_Контрагенты(guid'{key}')?$format=json", json={"DeletionMark": True}
        )
        assert r.json()["DeletionMark"] is True
        r = c.post(f"{base}/{INVOICES}_Товары?$format=json", json={"LineNumber": "1"})
        assert err(r)[:2] == (400, "13")
        r = c.post(f"{base}/{INVOICES}?$format=json", json={"Товары": [{"Количество": 1}]})
        assert err(r)[:2] == (500, "-1")
        r = c.delete(f"{base}/Catalog_Контрагенты(guid'{key}')")
        assert r.status_code == 200
        assert c.get(f"{base}/Catalog_Контрагенты(guid'{key}')?$format=json").status_code == 404


def test_tabular_part_replaced_whole(fresh: OnecSandbox) -> None:
    ref = next(iter(fresh.store.rows[INVOICES]))
    with httpx.Client(auth=(fresh.user, fresh.password), timeout=5) as c:
        url = f"{fresh.url}/{INVOICES}(guid'{ref}')?$format=json"
        before = c.get(url).json()
        row = before["Товары"][0]
        r = c.patch(
            url,
            json={
                "Товары": [
                    {
                        "LineNumber": "1",
                        "Номенклатура_Key": row["Номенклатура_Key"],
                        "Количество": 3,
                        "Цена": 10,
                        "Сумма": 30,
                    }
                ]
            },
        )
        after = r.json()
        assert len(after["Товары"]) == 1 and after["Товары"][0]["Сумма"] == 30
        assert after["Товары"][0]["СтавкаНДС"] == ""  # not merged with the old row


def test_post_and_unpost(fresh: OnecSandbox) -> None:
    ref = next(r for r, rec in fresh.store.rows[INVOICES].items() if rec["Date"].year == 2026)
    with httpx.Client(auth=(fresh.user, fresh.password), timeout=5) as c:
        url = f"{fresh.url}/{INVOICES}(guid'{ref}')"
        version = c.get(f"{url}?$format=json").json()["DataVersion"]
        assert c.post(f"{url}/Post?PostingModeOperational=false").status_code == 200
        data = c.get(f"{url}?$format=json").json()
        assert data["Posted"] is True and data["DataVersion"] != version
        assert c.post(f"{url}/Unpost()").status_code == 200
        assert c.get(f"{url}?$format=json").json()["Posted"] is False
        c.patch(f"{url}?$format=json", json={"ДоговорКонтрагента_Key": ZERO})
        status, code, message = err(c.post(f"{url}/Post?$format=json"))
        assert (status, code) == (500, "-1") and 'Поле "Договор" не заполнено' in message


def test_closed_period_refuses_posting(fresh: OnecSandbox) -> None:
    ref = next(
        r
        for r, rec in fresh.store.rows[INVOICES].items()
        if rec["Date"].date() <= fresh.store.closed_until
    )  # type: ignore[operator]
    with httpx.Client(auth=(fresh.user, fresh.password), timeout=5) as c:
        status, code, message = err(
            c.post(f"{fresh.url}/{INVOICES}(guid'{ref}')/Post?$format=json")
        )
        assert (status, code) == (500, "-1") and "закрытый период" in message


def test_if_match_is_enforced(fresh: OnecSandbox) -> None:
    ref = next(iter(fresh.store.rows["Catalog_Склады"]))
    with httpx.Client(auth=(fresh.user, fresh.password), timeout=5) as c:
        r = c.patch(
            f"{fresh.url}/Catalog_Склады(guid'{ref}')?$format=json",
            json={"Description": "x"},
            headers={"If-Match": "AAAAAQAAAAA="},
        )
        assert r.status_code == 412


def test_balance_virtual_table(http: httpx.Client, sandbox: OnecSandbox) -> None:
    acc = js(
        get(
            http,
            sandbox,
            "ChartOfAccounts_Хозрасчетный",
            **{"$format": "json", "$filter": "Code eq '41.01'"},
        )
    )["value"][0]["Ref_Key"]
    wh = sandbox.store.all("Catalog_Склады")[0]["Ref_Key"]
    path = (
        f"AccountingRegister_Хозрасчетный/Balance(Period=datetime'2030-01-01T00:00:00',"
        f"AccountCondition='Account_Key eq guid'{acc}'',"
        f"Condition='ExtDimension3 eq cast(guid'{wh}', 'Catalog_Склады')')"
    )
    data = js(get(http, sandbox, path, **{"$format": "json"}))
    assert data["value"]
    for row in data["value"]:
        assert row["Account_Key"] == acc and row["ExtDimension3"] == wh
        assert row["ExtDimension1_Type"] == "StandardODATA.Catalog_Номенклатура"
        assert "КоличествоBalance" in row and "СуммаBalanceDr" in row


def test_faults_forced(http: httpx.Client, sandbox: OnecSandbox) -> None:
    sandbox.faults.force("html200")
    r = get(http, sandbox, "Catalog_Склады", **{"$format": "json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    sandbox.faults.force("500")
    assert err(get(http, sandbox, "Catalog_Склады", **{"$format": "json"}))[:2] == (500, "-1")
    sandbox.faults.force("503")
    assert get(http, sandbox, "Catalog_Склады").status_code == 503
    sandbox.faults.force("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        get(http, sandbox, "Catalog_Склады")


def test_fault_spec_grammar() -> None:
    from desktop_sync.sandbox.onec.faults import Faults

    f = Faults("500:0.5,timeout:0.5,delay:0.01", seed=3)
    assert f.delay == 0.01 and {f.draw() for _ in range(50)} == {"500", "timeout"}
    with pytest.raises(ValueError, match="unknown fault"):
        Faults("teapot:0.1")
    with pytest.raises(ValueError):
        Faults("500")


def test_select_double_star_and_presentation(http: httpx.Client, sandbox: OnecSandbox) -> None:
    row = js(get(http, sandbox, INVOICES, **{"$format": "json", "$top": "1", "$select": "**"}))[
        "value"
    ][0]
    assert "Товары" not in row and "Контрагент_Key" in row
    row = js(
        get(
            http,
            sandbox,
            INVOICES,
            **{"$format": "json", "$top": "1", "$select": "Ref_Key,Контрагент____Presentation"},
        )
    )["value"][0]
    assert set(row) == {"Ref_Key", "Контрагент____Presentation"}
    assert row["Контрагент____Presentation"]


def test_nometadata_json(http: httpx.Client, sandbox: OnecSandbox) -> None:
    r = get(http, sandbox, "Catalog_Склады", **{"$format": "application/json;odata=nometadata"})
    data = r.json()
    assert "odata.metadata" not in data
    assert not any("@navigationLinkUrl" in k for k in data["value"][0])


def test_atom_feed_and_entry_are_well_formed(http: httpx.Client, sandbox: OnecSandbox) -> None:
    from xml.etree import ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    m = "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"
    d = "{http://schemas.microsoft.com/ado/2007/08/dataservices}"
    r = get(http, sandbox, INVOICES, **{"$top": "2", "$inlinecount": "allpages"})
    feed = ET.fromstring(r.content)
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == 2 and feed.findtext(f"{m}count") == str(len(sandbox.store.all(INVOICES)))
    props = entries[0].find(f"{atom}content/{m}properties")
    assert props is not None
    rows = props.find(f"{d}Товары")
    assert rows is not None and rows.get(f"{m}type") == (
        f"Collection(StandardODATA.{INVOICES}_Товары_RowType)"
    )
    assert props.find(f"{d}КратностьВзаиморасчетов").get(f"{m}type") == "Edm.Int64"  # type: ignore[union-attr]
    ref = props.findtext(f"{d}Ref_Key")
    one = get(http, sandbox, f"{INVOICES}(guid'{ref}')")
    assert ET.fromstring(one.content).tag == f"{atom}entry"
    bad = get(http, sandbox, f"{INVOICES}(guid'{ZERO}')")
    assert ET.fromstring(bad.content).findtext(f"{m}code") == "9"
