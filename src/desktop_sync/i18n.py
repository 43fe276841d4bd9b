"""Translations for every user-visible string: Russian first, English second.

Source strings are English; ``resources/locale/<lang>/*.po`` hold the
translations (one file per area, merged), read directly at start-up (no compile
step, nothing to forget in a frozen build). The GUI uses the same catalog through
``tr``, so the CLI, the engine's reasons and the window always say the same words.

Language: ``DESKTOP_SYNC_LANG`` (``ru`` or ``en``) if set, else the system locale
when it is English, else Russian.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import gettext
import locale
import os
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from desktop_sync.domain.money import format_rub, round_money

LANGUAGES = ("ru", "en")
LANG_ENV = "DESKTOP_SYNC_LANG"
_current: list[str] = []


def resources_dir() -> Path:
    """``resources/`` beside the source tree, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "resources"
        if (candidate / "locale").is_dir():
            return candidate
    return here.parent / "resources"


def _system_language() -> str:
    """The user's language code from the environment (POSIX) or the OS locale (Windows).

    A "C"/"POSIX" locale says nothing about the person, so it does not count as
    English: Russian stays the default there.
    """
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            if value in ("C", "POSIX") or value.startswith(("C.", "POSIX.")):
                return ""
            return value[:2].lower()
    try:
        code = locale.getlocale()[0] or ""
    except ValueError:
        code = ""
    return "en" if code.lower().startswith(("en", "english")) else code[:2].lower()


def language() -> str:
    if _current:
        return _current[0]
    chosen = os.environ.get(LANG_ENV, "").strip().lower()[:2]
    if chosen not in LANGUAGES:
        chosen = "en" if _system_language() == "en" else "ru"
    _current.append(chosen)
    return chosen


def set_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    _current[:] = [lang]


# GNU gettext's Plural-Forms of each language (the gettext manual's table), evaluated
# by the standard library's own parser of that C expression (gettext.c2py).
_PLURAL_FORMS = {
    "ru": "n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2",
    "en": "n != 1",
}
PLURAL_SEPARATOR = "\x00"  # plural forms of one entry, joined as in a .mo file


def parse_po(text: str) -> dict[str, str]:
    """A minimal .po reader: msgid/msgstr pairs with continuation lines.

    A plural entry (``msgid_plural`` with ``msgstr[0]``, ``msgstr[1]``…) is stored under
    its singular msgid, its forms joined by ``PLURAL_SEPARATOR``.
    """
    catalog: dict[str, str] = {}
    msgid: list[str] = []
    forms: dict[int, list[str]] = {}
    target: list[str] | None = None

    def flush() -> None:
        key = "".join(msgid)
        values = ["".join(forms[i]) for i in sorted(forms)]
        if key and values and all(values):
            catalog[key] = PLURAL_SEPARATOR.join(values)

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, forms = [], {}
            target = msgid
            line = line[6:]
        elif line.startswith("msgid_plural "):
            target = None  # the English plural lives in the source code
            continue
        elif line.startswith("msgstr "):
            target = forms.setdefault(0, [])
            line = line[7:]
        elif line.startswith("msgstr["):
            index, _, line = line[7:].partition("]")
            target = forms.setdefault(int(index), [])
            line = line.strip()
        if target is not None and line.startswith('"'):
            target.append(ast.literal_eval(line))
    flush()
    return catalog


@functools.cache
def _plural_index(lang: str) -> Callable[[int], int]:
    return gettext.c2py(_PLURAL_FORMS[lang])


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """All ``*.po`` files of a language, merged (one per area: core, gui...)."""
    merged: dict[str, str] = {}
    folder = resources_dir() / "locale" / lang
    for path in sorted(folder.glob("*.po")):
        merged.update(parse_po(path.read_text(encoding="utf-8")))
    return merged


def tr(text: str) -> str:
    """Translate ``text`` (an English source string) to the current language."""
    lang = _current[0] if _current else language()  # a plan asks some 250,000 times
    if lang == "en":
        return text
    return catalog(lang).get(text, text)


def ntr(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` (English sources) for ``n`` in the current language.

    ``{n}`` in the text is not filled in here: ``ntr(…).format(n=n)``.
    """
    lang = language()
    if lang == "en":
        return singular if n == 1 else plural
    forms = catalog(lang).get(singular, "").split(PLURAL_SEPARATOR)
    index = _plural_index(lang)(abs(n))
    if len(forms) <= index or not forms[index]:
        return singular if n == 1 else plural
    return forms[index]


def N_(text: str) -> str:
    """Mark a string for translation where it is defined; translate it with ``tr`` later."""
    return text


# -- dates as the language writes them -------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # a plan's documents share few dates
def dotted_day(day: dt.date) -> str:
    """16.03.2026: a date as Russian writes it, and as 1C and the CRM are written to in
    any language (a title, a payments list). ``f"{day:%d.%m.%Y}"`` without strftime
    (several times faster; a plan writes a date into most of its reasons)."""
    if day.year < 1000:  # how strftime writes such a year differs between platforms
        return f"{day:%d.%m.%Y}"
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def day_label(day: dt.date) -> str:
    """A date in what a person reads (a label, a reason, a message, a card), as the
    window's tables write it: 16.03.2026 in Russian, 2026-03-16 in English."""
    lang = _current[0] if _current else language()  # a plan asks for every record
    return day.isoformat() if lang == "en" else dotted_day(day)


def money_label(value: Decimal) -> str:
    """An amount in what a person reads, as the window's tables write it: 7 353,68 ₽ in
    Russian, 7,353.68 ₽ in English (a plan's reason, an item, a card, ``status``). What
    is written into 1C or the CRM keeps ``domain.money.format_rub``."""
    lang = _current[0] if _current else language()
    if lang != "en":
        return format_rub(value)
    return f"{round_money(value):,.2f}\u00a0₽"


def time_label(moment: dt.datetime) -> str:
    """A moment to the minute, in local time as :func:`day_label` writes its day:
    16.03.2026 14:05 in Russian, 2026-03-16 14:05 in English."""
    local = moment.astimezone() if moment.tzinfo else moment
    return f"{day_label(local.date())} {local:%H:%M}"
