"""The connection settings' own fields, shared by the wizard and the schedule dialog."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from desktop_sync.i18n import N_, tr


def secret_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


# The time zones of Russia by a city a person knows (1C servers keep local time).
TIME_ZONES = (
    ("Europe/Kaliningrad", N_("Kaliningrad"), 2),
    ("Europe/Moscow", N_("Moscow, St Petersburg"), 3),
    ("Europe/Samara", N_("Samara, Izhevsk"), 4),
    ("Asia/Yekaterinburg", N_("Yekaterinburg, Chelyabinsk, Perm"), 5),
    ("Asia/Omsk", N_("Omsk"), 6),
    ("Asia/Novosibirsk", N_("Novosibirsk, Barnaul, Tomsk"), 7),
    ("Asia/Krasnoyarsk", N_("Krasnoyarsk, Kemerovo"), 7),
    ("Asia/Irkutsk", N_("Irkutsk, Ulan-Ude"), 8),
    ("Asia/Yakutsk", N_("Yakutsk, Chita"), 9),
    ("Asia/Vladivostok", N_("Vladivostok, Khabarovsk"), 10),
    ("Asia/Magadan", N_("Magadan, Sakhalin"), 11),
    ("Asia/Kamchatka", N_("Petropavlovsk-Kamchatsky, Anadyr"), 12),
)


def time_zone_box(current: str) -> QComboBox:
    """A list of cities; a zone set elsewhere (the command line) is kept as it is."""
    box = QComboBox()
    for zone, city, hours in TIME_ZONES:
        box.addItem(f"{tr(city)} (UTC+{hours})", zone)
    if box.findData(current) < 0:
        box.addItem(current, current)
    box.setCurrentIndex(box.findData(current))
    return box


def proposed_name(organization: str, onec_url: str, crm_url: str) -> str:
    """A profile name a person recognises: the organization, else the portal, else the base."""
    org = re.sub(r"[^\w .-]+", " ", organization).strip()
    org = re.sub(r"\s+", " ", org)
    if org and not org.isdigit():  # an INN says nothing as a name
        return org[:64].strip()
    host = urlsplit(crm_url.strip()).hostname or ""
    if host and not host.replace(".", "").isdigit() and host != "localhost":
        return host.split(".")[0][:64]
    path = [p for p in urlsplit(onec_url.strip()).path.split("/") if p]
    if path and path[0].lower() != "odata":
        return re.sub(r"[^\w .-]+", " ", path[0]).strip()[:64]
    return ""


def minutes_box(value: int, step: int = 1) -> QSpinBox:
    """How often to synchronise automatically, in minutes; 0 is "off"."""
    box = QSpinBox()
    box.setRange(0, 24 * 60)
    if step != 1:
        box.setSingleStep(step)
    box.setSuffix(tr(" min"))
    box.setSpecialValueText(tr("off"))
    box.setValue(value)
    return box


def at_logon_box(checked: bool) -> QCheckBox:
    box = QCheckBox(tr("Open the window at logon, so the schedule runs"))
    box.setChecked(checked)
    return box
