"""The organization's bank account and its bank, read as the printed invoice needs them.

BP 3.0 publishes ``Catalog_БанковскиеСчета`` → ``Catalog_Банки`` in the sandbox, UT 11
``Catalog_БанковскиеСчетаОрганизаций`` → ``Catalog_КлассификаторБанков``: the client
finds the bank in whichever catalog of banks the base publishes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop_sync.connectors.onec import BankDetails, OnecClient, OnecError
from desktop_sync.sandbox.onec import OnecSandbox, start
from desktop_sync.sandbox.onec.story import BANK_REF


@pytest.fixture(params=["bp30", "ut11"])
def sb(request: pytest.FixtureRequest) -> Iterator[OnecSandbox]:
    with start(seed=1, size="small", configuration=request.param) as box:
        yield box


def client(sb: OnecSandbox) -> OnecClient:
    return OnecClient(
        sb.url,
        sb.user,
        sb.password,
        timezone=sb.timezone,
        configuration=sb.configuration,
        backoff=0.001,
        timeout=5.0,
    )


def test_bank_details_of_the_organization(sb: OnecSandbox) -> None:
    with client(sb) as c:
        details = c.bank_details()
    assert details == BankDetails(
        "40702810900000012345", "ПАО СБЕРБАНК", "044525225", "30101810400000000225", "г. Москва"
    )


def test_a_missing_bank_is_named(sb: OnecSandbox) -> None:
    accounts = {"bp30": "Catalog_БанковскиеСчета", "ut11": "Catalog_БанковскиеСчетаОрганизаций"}
    entity = accounts[sb.configuration]
    (key,) = [str(r["Ref_Key"]) for r in sb.store.all(entity) if r.get("Банк_Key") == BANK_REF]
    sb.store.update(entity, key, {"Банк_Key": "00000000-0000-0000-0000-000000000000"})
    with client(sb) as c, pytest.raises(OnecError) as err:
        c.bank_details()
    assert "40702810900000012345" in str(err.value)
    assert "«Банк»" in str(err.value)
