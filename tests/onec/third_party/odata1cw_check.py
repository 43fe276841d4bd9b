"""Run the third-party ``odata1cw`` (PyPI, requests-based) against a running sandbox:

python -m desktop_sync.sandbox.onec > sb.json &
python3 -m venv /tmp/tp && /tmp/tp/bin/pip install odata1cw
/tmp/tp/bin/python tests/onec/third_party/odata1cw_check.py sb.json
"""

from __future__ import annotations

import json
import sys
from urllib.parse import urlsplit

from odata1cw.catalog import Catalog  # type: ignore[import-not-found]
from odata1cw.core import Infobase  # type: ignore[import-not-found]
from odata1cw.document import Document  # type: ignore[import-not-found]
from odata1cw.postingmode import PostingMode  # type: ignore[import-not-found]


def main() -> None:
    info = json.loads(open(sys.argv[1], encoding="utf-8").readline())  # noqa: SIM115
    url = urlsplit(info["url"])
    base = url.path.split("/")[1]
    # requests encodes str credentials as latin-1: a Cyrillic user must be given as bytes.
    ib = Infobase(
        f"{url.scheme}://{url.netloc}/", base, info["user"].encode(), info["password"].encode()
    )
    cps = Catalog(ib, "Контрагенты")
    rows = cps.query(
        top=5, select="Ref_Key,Description,ИНН", odata_filter="substringof('O''Neill', Description)"
    )
    print("filter:", [r["Description"] for r in rows])
    made = cps.create(
        {"Description": "ИП Сторонний", "ЮридическоеФизическоеЛицо": "ФизическоеЛицо"}
    )
    print("created:", made["Ref_Key"], made["Code"])
    docs = Document(ib, "СчетНаОплатуПокупателю")
    inv = docs.query(top=40, select="Ref_Key,Number,Date,Posted")[-1]
    docs.post(inv["Ref_Key"], PostingMode.POST)
    print("posted:", inv["Number"], docs.get(inv["Ref_Key"], select="Posted")["Posted"])


if __name__ == "__main__":
    main()
