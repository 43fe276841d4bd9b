"""What a text says, kept so that it can be said again in the other language.

An inbox item's message, action, field and record are made by ``tr(...).format(...)``
in the language of the run that found it, and the journal keeps those words. To show
an item in the language of the moment, the journal also keeps what the words were made
of (:func:`parse`, when the item is written): the catalog's English source of the text
and its arguments, each argument again a text of the catalog, a date, an amount, or a
name kept as it is. :func:`say` makes the words from that in the current language.
A run's message and its operations' reasons and errors are parsed when they are shown
(:func:`again`), from the language the journal keeps of their run.

An argument may itself be a list of such texts joined by «, » (the contacts holding
one ИНН, the fields an update changes, the systems that stopped answering): each of
its texts is said again, the list kept in its order.

An item's values are records' data, but some are our words around it («Иванов (ИНН
7701…)», a list of them): those are kept too (:func:`parse_value`).

A text no catalog entry makes (a system's own answer, texts joined by hand) is not
parsed: it is shown as it was written. So is every item written before this was kept.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop_sync.i18n import PLURAL_SEPARATOR, catalog, day_label, language, money_label

Said = Any  # str (said as it is) | {"id": source, "args": {name: Said}} | {"date": …}
# | {"money": …} | {"join": [Said, …], "sep": ", "} (texts joined; no "sep": "; ")

PLACEHOLDER = re.compile(r"\{(\w+)\}")
MAX_DEPTH = 4
_DAY = {
    "ru": re.compile(r"^(\d\d)\.(\d\d)\.(\d{4})$"),
    "en": re.compile(r"^(\d{4})-(\d\d)-(\d\d)$"),
}
_RATE = {"ru": re.compile(r"^(\d+(?:/\d+)?)[\u00a0 ]%$"), "en": re.compile(r"^(\d+(?:/\d+)?)%$")}
RATE = "{rate}%"  # a VAT rate (``normalize.display``): no words of its own to be found by
_MONEY = {"ru": re.compile(r"^-?\d{1,3}(?:[\u00a0 ]\d{3})*,\d\d[\u00a0 ]₽$"),
          "en": re.compile(r"^-?\d{1,3}(?:,\d{3})*\.\d\d[\u00a0 ]₽$")}  # fmt: skip


class _Template:
    """One catalog entry as written in one language: a regular expression of it."""

    __slots__ = ("anchor", "names", "pattern", "source", "weight")

    def __init__(self, source: str, written: str) -> None:
        self.source = source
        parts = PLACEHOLDER.split(written)  # literal, name, literal, name, …
        literals, names = parts[0::2], parts[1::2]
        regex, seen = [], set()
        for i, literal in enumerate(literals):
            regex.append(re.escape(literal))
            if i < len(names):
                name = names[i]
                regex.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
                seen.add(name)
        self.pattern = re.compile("".join(regex), re.DOTALL)
        self.names = names
        self.anchor = max(literals, key=len)
        self.weight = sum(len(x) for x in literals)


@functools.cache
def _templates(lang: str) -> tuple[dict[str, str], list[_Template]]:
    """(text -> source) of the catalog's plain texts, and its texts with arguments,
    the most literal first, as written in ``lang``."""
    plain: dict[str, str] = {}
    formed: list[_Template] = []
    for source, russian in catalog("ru").items():
        if PLURAL_SEPARATOR in russian or ("{" in source and not PLACEHOLDER.search(source)):
            continue
        written = russian if lang == "ru" else source
        if set(PLACEHOLDER.findall(written)) != set(PLACEHOLDER.findall(source)):
            continue  # a translation that drops an argument cannot be said back
        if PLACEHOLDER.search(written):
            if len(PLACEHOLDER.sub("", written).strip()) >= 2:
                formed.append(_Template(source, written))
        else:
            plain.setdefault(written, source)
    formed.sort(key=lambda t: -t.weight)
    return plain, formed


JOIN = "; "  # a plan's reasons joined (``…; будет связан; упаковки …``)
MAX_PARTS = 8
LIST = ", "  # an argument listing texts (``Иванов (контакт 2), Петров (контакт 3)``)
MAX_ITEMS = 64  # a longer list is said as written
MAX_SPAN = 4  # «, » inside one listed text: «{name} (contact {id}, INN {inn})» has one


def parse(text: str, lang: str | None = None) -> Said | None:
    """What ``text`` (written in ``lang``, the current language by default) is made of;
    ``None`` when no catalog entry makes it. Texts joined by «; » are each parsed: of
    the ways to cut it there, the one whose texts hold the most of the catalog's words
    (never «{name}: {key} = {value}» across a whole reason)."""
    lang = lang or language()
    parts = text.split(JOIN)
    if len(parts) > MAX_PARTS:
        parts = [text]
    best = _cut(tuple(parts), lang, JOIN)
    if best is None:
        return None
    return best[1][0] if len(best[1]) == 1 else {"join": best[1]}


def parse_value(text: str, lang: str | None = None) -> Said | None:
    """What an item's value (``Иванов (ИНН 7701…), Петров (ИНН 7702…)``) is made of
    when our words are in it: a text of the catalog with arguments, or a list of such
    texts; ``None`` for a record's own data (a name, a stage, a reference), which is
    never said again, even when it reads as one of the catalog's plain texts."""
    made = _listed(text, lang or language(), 0)
    return made if _formed(made) else None


def _formed(said: Said) -> bool:
    if not isinstance(said, dict):
        return False
    if "join" in said:
        return any(_formed(part) for part in said["join"])
    return bool(said.get("args"))


def _cut(
    parts: tuple[str, ...], lang: str, sep: str, depth: int = 0
) -> tuple[int, list[Said]] | None:
    """The best way to say ``parts`` as consecutive texts joined by ``sep``: (weight,
    their parses). Joined reasons («; ») are each a catalog text; a list («, ») may hold
    names too (said as written), each listed text at most ``MAX_SPAN`` parts long."""
    best: list[tuple[int, list[Said]] | None] = [None] * len(parts) + [(0, [])]
    span = len(parts) if sep == JOIN else MAX_SPAN
    for i in range(len(parts) - 1, -1, -1):
        for j in range(i + 1, min(i + span, len(parts)) + 1):
            rest = best[j]
            made = _parse(sep.join(parts[i:j]), lang, depth)
            if rest is None or (sep == JOIN and isinstance(made, str)):
                continue
            weight, now = _weight(made, lang) + rest[0], best[i]
            if now is None or weight > now[0]:
                best[i] = (weight, [made, *rest[1]])
    return best[0]


def _listed(text: str, lang: str, depth: int) -> Said:
    """An argument: one text (:func:`_parse`), or a list of texts joined by «, » when
    that holds more of the catalog's words and most of its parts are catalog texts (a
    record's name with a comma in it stays a name)."""
    single = _parse(text, lang, depth)
    pieces = text.split(LIST)
    if len(pieces) < 2 or len(pieces) > MAX_ITEMS or depth >= MAX_DEPTH:
        return single
    cut = _cut(tuple(pieces), lang, LIST, depth)
    if cut is None or len(cut[1]) < 2:
        return single
    texts = sum(1 for part in cut[1] if not isinstance(part, str))
    if texts * 2 <= len(cut[1]) or cut[0] <= _weight(single, lang):
        return single
    return {"join": cut[1], "sep": LIST}


def _weight(said: Said, lang: str) -> int:
    """How much of a parse is the catalog's own words."""
    if not isinstance(said, dict):
        return 0
    if "join" in said:
        return sum(_weight(part, lang) for part in said["join"])
    if "id" not in said:
        return 1  # a date, an amount
    args = dict(said.get("args") or {})
    return _weights(lang).get(str(said["id"]), 0) + sum(_weight(a, lang) for a in args.values())


@functools.cache
def _weights(lang: str) -> dict[str, int]:
    plain, formed = _templates(lang)
    return {**{source: len(text) for text, source in plain.items()},
            **{t.source: t.weight for t in formed}}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _parse(text: str, lang: str, depth: int) -> Said:
    plain, formed = _templates(lang)
    if text in plain:
        return {"id": plain[text], "args": {}}
    if (day := _DAY[lang].match(text)) is not None:
        parts = day.groups() if lang == "en" else day.groups()[::-1]
        return {"date": "-".join(parts)}
    if _MONEY[lang].match(text):
        try:
            amount = Decimal(
                re.sub(r"[^\d,.-]", "", text).replace(",", "" if lang == "en" else ".")
            )
        except InvalidOperation:
            return text
        return {"money": str(amount)}
    if (rate := _RATE[lang].match(text)) is not None:
        return {"id": RATE, "args": {"rate": rate.group(1)}}
    if depth >= MAX_DEPTH or not text:
        return text
    for t in formed:
        if t.anchor in text and (m := t.pattern.fullmatch(text)) is not None:
            args = {name: _listed(m.group(name), lang, depth + 1) for name in t.names}
            return {"id": t.source, "args": args}
    return text


def say(said: Said) -> str:
    """The words of ``said`` in the current language."""
    lang = language()
    if isinstance(said, str):
        return said
    if not isinstance(said, dict):
        return str(said)
    if "date" in said:
        return day_label(dt.date.fromisoformat(str(said["date"])))
    if "money" in said:
        return money_label(Decimal(str(said["money"])))
    if "join" in said:
        return str(said.get("sep", JOIN)).join(say(part) for part in said["join"])
    source = str(said.get("id", ""))
    written = source if lang == "en" else catalog(lang).get(source, source)
    args = {k: say(v) for k, v in dict(said.get("args") or {}).items()}
    try:
        return written.format(**args)
    except (KeyError, IndexError, ValueError):
        return source.format(**args) if args else source


def again(text: str, written_in: str) -> str:
    """``text``, written in ``written_in``, in the current language; as written when its
    language is not known (written before it was kept) or no catalog entry makes it."""
    if not text or not written_in or written_in == language():
        return text
    made = parse(text, written_in)
    return text if made is None else say(made)
