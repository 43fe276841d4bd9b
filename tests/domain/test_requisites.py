import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_sync.domain.requisites import (
    InnKind,
    RequisiteError,
    inn_checksum_ok,
    make_inn,
    validate_inn,
    validate_kpp,
)


@pytest.mark.parametrize(
    ("inn", "kind"),
    [
        ("7707083893", InnKind.ORGANIZATION),  # ПАО Сбербанк
        ("7736207543", InnKind.ORGANIZATION),  # ООО «Яндекс»
        ("500100732259", InnKind.INDIVIDUAL),
    ],
)
def test_valid_inn(inn: str, kind: InnKind) -> None:
    assert validate_inn(inn) is kind


@pytest.mark.parametrize(
    ("inn", "reason"),
    [
        ("7707083894", "контрольное"),
        ("500100732258", "контрольное"),
        ("77070838", "10 или 12"),
        ("77070838931", "10 или 12"),
        ("77070838a3", "цифр"),
        ("７７０７０８３８９３", "цифр"),  # full-width digits are not digits here
        ("", "не заполнен"),
        ("0000000000", "нулей"),
    ],
)
def test_invalid_inn_names_field_and_reason(inn: str, reason: str) -> None:
    with pytest.raises(RequisiteError) as info:
        validate_inn(inn)
    assert info.value.field == "ИНН"
    assert reason in str(info.value)


@pytest.mark.parametrize("kpp", ["770701001", "7707AB001", "773601001", "5001ZZ999"])
def test_valid_kpp(kpp: str) -> None:
    assert validate_kpp(kpp) == kpp


@pytest.mark.parametrize("kpp", ["77070100", "7707ab001", "77070100X", "7707АБ001", "A70701001"])
def test_invalid_kpp(kpp: str) -> None:
    with pytest.raises(RequisiteError) as info:
        validate_kpp(kpp)
    assert info.value.field == "КПП"


@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_generated_10_digit_inn_checks(prefix: str) -> None:
    inn = make_inn(prefix)
    assert inn_checksum_ok(inn)
    # Changing the check digit breaks it.
    broken = inn[:9] + str((int(inn[9]) + 1) % 10)
    assert not inn_checksum_ok(broken)


@given(st.from_regex(r"\A[0-9]{10}\Z"))
def test_generated_12_digit_inn_checks(prefix: str) -> None:
    inn = make_inn(prefix)
    assert inn_checksum_ok(inn)
    broken = inn[:11] + str((int(inn[11]) + 1) % 10)
    assert not inn_checksum_ok(broken)
