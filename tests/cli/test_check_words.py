"""`desktop-sync check` names the systems in the language: «1С», «Битрикс24» in Russian,
1C, Bitrix24 in English (it wrote the Cyrillic «1С» and «Битрикс24» in both)."""

from __future__ import annotations

import pytest

from desktop_sync.cli.sync_cmds import _check_problems
from desktop_sync.config import Profile
from desktop_sync.connectors.bitrix24.check import CheckReport as CrmCheck
from desktop_sync.connectors.onec.access import CheckReport as OnecCheck
from desktop_sync.connectors.onec.profiles import Problem
from desktop_sync.engine.records import Checked
from desktop_sync.i18n import set_language

SYSTEMS = [("en", "1C", "Bitrix24"), ("ru", "1С", "Битрикс24")]


@pytest.mark.parametrize(("lang", "onec", "crm"), SYSTEMS)
def test_check_names_the_systems_in_the_language(lang: str, onec: str, crm: str) -> None:
    profile = Profile(name="p", onec_url="https://1c.example/odata", onec_user="u",
                      crm_url="https://b24.example", stages={"send": "DT31_1:S"})  # fmt: skip
    checked = Checked(
        OnecCheck("bp30", (Problem("Document_СчетНаОплатуПокупателю", "", "not published"),), ()),
        CrmCheck(problems=["no scope crm"]),
    )
    set_language(lang)
    try:
        problems = _check_problems(profile, checked)
    finally:
        set_language("en")
    assert f"{onec}: not published" in problems, problems
    assert f"{crm}: no scope crm" in problems, problems
