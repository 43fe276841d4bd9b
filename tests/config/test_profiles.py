from pathlib import Path

import pytest

from desktop_sync.config import AppPaths, ConfigError, Profile, ProfileStore
from desktop_sync.config.urls import check_url, check_webhook


def _profile(**kw: str) -> Profile:
    base = {
        "name": "shop",
        "onec_url": "https://1c.example.ru/base/odata/standard.odata",
        "onec_user": "Бухгалтер",
        "crm_url": "https://shop.bitrix24.ru",
    }
    base.update(kw)
    return Profile(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://[::1]:9/x",
        "http://127.5.5.5/x",
        "https://1c.example.ru/base/odata/standard.odata",
    ],
)
def test_allowed_urls(url: str) -> None:
    assert check_url(url + "/", "1C URL") == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://192.168.1.10/base", "unencrypted"),
        ("http://1c.example.ru/base", "unencrypted"),
        ("ftp://x/y", "not an http"),
        ("1c.example.ru", "not an http"),
        ("https://user:pw@1c.example.ru/", "no user or password"),
        ("https://1c.example.ru:abc/", "port"),
    ],
)
def test_refused_urls(url: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        check_url(url, "1C URL")


def test_webhook_must_match_portal_and_shape() -> None:
    assert (
        check_webhook("https://shop.bitrix24.ru/rest/1/abc123", "https://shop.bitrix24.ru")
        == "https://shop.bitrix24.ru/rest/1/abc123/"
    )
    with pytest.raises(ConfigError, match="points to evil"):
        check_webhook("https://evil.ru/rest/1/abc123/", "https://shop.bitrix24.ru")
    with pytest.raises(ConfigError, match="expected an address") as info:
        check_webhook("https://shop.bitrix24.ru/rest/abc123/", "https://shop.bitrix24.ru")
    assert "abc123" not in str(info.value)


def test_an_empty_value_removes_a_stage_a_store_or_a_filter() -> None:
    p = _profile().with_setting("stage.send", "DT31_1:S").with_setting("warehouse.Основной", "3")
    p = p.with_setting("filter.organization", "ООО «Ромашка»")
    assert (p.stages, p.warehouses, p.filters) == (
        {"send": "DT31_1:S"},
        {"Основной": "3"},
        {"organization": "ООО «Ромашка»"},
    )
    cleared = p.with_setting("stage.send", "").with_setting("warehouse.Основной", "")
    cleared = cleared.with_setting("filter.organization", "").with_setting("filter.other", "")
    assert (cleared.stages, cleared.warehouses, cleared.filters) == ({}, {}, {})
    assert p.stages == {"send": "DT31_1:S"}  # the profile itself is left as it was


def test_store_roundtrip_and_settings(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    p = store.add(_profile(organization="ООО «Северный ветер»"))
    assert store.get(None) == p
    p2 = p.with_setting("stage.send", "DT31_1:S").with_setting("warehouse.Склад «Южный»", "3")
    p2 = p2.with_setting("schedule.minutes", "30")
    store.put(p2)
    loaded = store.get("shop")
    assert loaded.stages == {"send": "DT31_1:S"}
    assert loaded.warehouses == {"Склад «Южный»": "3"}
    assert loaded.schedule_minutes == 30
    assert loaded.uuid == p.uuid
    text = (tmp_path / "profiles.json").read_text(encoding="utf-8")
    assert "Северный ветер" in text  # readable, not escaped
    with pytest.raises(ConfigError, match="unknown setting"):
        p.with_setting("colour", "red")
    with pytest.raises(ConfigError, match="unknown meaning"):
        p.with_setting("stage.sent", "X")
    with pytest.raises(ConfigError, match="store id"):
        p.with_setting("warehouse.Основной", "main")
    with pytest.raises(ConfigError, match="time zone"):
        p.with_setting("onec.timezone", "Mars/Olympus")
    with pytest.raises(ConfigError, match="already exists"):
        store.add(_profile())
    store.remove("shop")
    with pytest.raises(ConfigError, match="no profile yet"):
        store.get(None)


def test_several_profiles_need_a_choice(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p.json")
    store.add(_profile(name="a"))
    store.add(_profile(name="b"))
    with pytest.raises(ConfigError, match="--profile"):
        store.get(None)


def test_damaged_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="damaged"):
        ProfileStore(path).load()


def test_home_puts_everything_in_one_folder(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path)
    assert paths.config_dir == tmp_path / "config"
    assert paths.data_dir == tmp_path / "data"
    assert paths.log_dir == tmp_path / "logs"
