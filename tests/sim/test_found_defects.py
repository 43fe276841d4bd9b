"""Defects the day-after-day simulation found, each pinned by a test that failed
before its fix (real clients against the sandboxes over loopback)."""

from __future__ import annotations

import pytest

from desktop_sync.connectors.onec import OnecClient
from desktop_sync.sandbox import onec


@pytest.mark.parametrize("configuration", ["bp30", "ut11"])
def test_counterparty_lookup_before_create_works_on_both_configurations(
    configuration: str,
) -> None:
    """The lookup a create from the CRM makes first (ИНН/КПП) filtered on IsFolder,
    which UT 11's non-hierarchical Catalog_Контрагенты does not have: 1C refused it and
    every new CRM company failed to reach a UT base (seed 1, day 1 of the simulation)."""
    with onec.start(port=0, configuration=configuration) as sb:
        seeded = next(
            r for r in sb.store.all("Catalog_Контрагенты") if r.get("ИНН") and r.get("КПП")
        )
        with OnecClient(sb.url, sb.user, sb.password, configuration=configuration) as c:
            found = c.find_counterparties(str(seeded["ИНН"]), str(seeded["КПП"]))
            assert str(seeded["Ref_Key"]) in found
            assert c.find_counterparties("0000000000", "000001001") == []
