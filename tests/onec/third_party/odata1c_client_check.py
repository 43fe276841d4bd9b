"""Run a third-party 1C OData client (PyPI ``odata1c-client``, Python 3.12+) against
a running sandbox, unchanged. Not collected by pytest (it needs another venv):

    python -m desktop_sync.sandbox.onec > sb.json &
    python3.12 -m venv /tmp/tp && /tmp/tp/bin/pip install odata1c-client
    /tmp/tp/bin/python tests/onec/third_party/odata1c_client_check.py sb.json
"""

from __future__ import annotations

import json
import sys
import uuid
from urllib.parse import urlsplit

from OData1C import Connection, EntityManager, Q  # type: ignore[import-not-found]
from OData1C.models import ODataModel  # type: ignore[import-not-found]
from pydantic import Field  # type: ignore[import-not-found]
from requests.auth import HTTPBasicAuth  # type: ignore[import-untyped]


class Counterparty(ODataModel):  # type: ignore[misc]
    uid: uuid.UUID = Field(alias="Ref_Key", exclude=True)
    name: str = Field(alias="Description")
    inn: str = Field(alias="ИНН")


class Invoice(ODataModel):  # type: ignore[misc]
    uid: uuid.UUID = Field(alias="Ref_Key", exclude=True)
    number: str = Field(alias="Number")
    posted: bool = Field(alias="Posted")
    counterparty: Counterparty = Field(alias="Контрагент")
    nested_models = {"counterparty": Counterparty}  # noqa: RUF012


def main() -> None:
    info = json.loads(open(sys.argv[1], encoding="utf-8").readline())  # noqa: SIM115
    url = urlsplit(info["url"])
    base = url.path.split("/")[1]
    auth = HTTPBasicAuth(info["user"].encode(), info["password"].encode())
    with Connection(url.netloc, url.scheme, auth) as conn:
        cps = EntityManager(conn, base, "Catalog_Контрагенты", Counterparty)
        found = cps.filter(Q(name="ЗАО «Сибирь»")).all()
        print("filter with «ёлочки»:", [c.name for c in found])
        assert len(found) == 1
        # This library does not double apostrophes: 1C (and the sandbox) refuse the
        # filter with 400/14 instead of silently widening or narrowing it.
        try:
            EntityManager(conn, base, "Catalog_Контрагенты", Counterparty).filter(
                Q(name="АО «O'Neill Трейд» (филиал)")
            ).all()
        except Exception as exc:
            print("unescaped apostrophe refused:", str(exc)[:60])
        everything = EntityManager(conn, base, "Catalog_Контрагенты", Counterparty).all()
        print("counterparties:", len(everything))
        invoices = EntityManager(conn, base, "Document_СчетНаОплатуПокупателю", Invoice)
        page = invoices.expand("counterparty").top(3).all()
        print(
            "invoices with expanded counterparty:", [(i.number, i.counterparty.name) for i in page]
        )
        assert len(page) == 3
        created = EntityManager(conn, base, "Catalog_Контрагенты", Counterparty).create(
            {"Description": "ООО «Сторонний клиент»", "ИНН": "7707083893"}
        )
        print("created:", created.name, created.uid)


if __name__ == "__main__":
    main()
