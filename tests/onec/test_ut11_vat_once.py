"""UT 11 names a VAT rate by a catalog reference on every document row: the catalog's
rates are built once per run from its rows, not once per row (on the medium set the
rows' 14,889 look-ups built the whole table each time, 208,446 conversions, about a
third of the UT first sync's 1C read CPU)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from desktop_sync.connectors.onec import convert
from desktop_sync.sandbox.onec import OnecSandbox, start

from .conftest import make_client


@pytest.fixture(scope="module")
def ut() -> Iterator[OnecSandbox]:
    with start(seed=1, size="small", configuration="ut11") as sb:
        yield sb


def test_the_vat_rates_are_built_once_a_run_not_once_a_row(
    ut: OnecSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Any] = []
    rate = convert.vat_rate

    def counted(*args: Any) -> Any:
        built.append(args[0])
        return rate(*args)

    monkeypatch.setattr(convert, "vat_rate", counted)
    with make_client(ut, configuration="ut11") as client:
        invoices = client.invoices()
        lines = sum(len(i.lines) for i in invoices)
        catalog = len([r for r in ut.store.all("Catalog_СтавкиНДС") if not r.get("DeletionMark")])
        assert lines > catalog
        assert len(built) == catalog  # once for the run's catalog
        assert {ln.vat_rate for i in invoices for ln in i.lines} <= set(client.vat_rates().values())
        client.forget()  # the next run reads the catalog again, and builds it again
        client.invoices()
        assert len(built) == 2 * catalog
