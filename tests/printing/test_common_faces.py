"""The faces' common parts shipped in resources/fonts (printing/fonts.py): each holds
exactly DejaVu's glyphs of the characters an invoice is written in, at the widths the
whole face gives them, so an invoice laid out in it looks as in the whole face."""

from __future__ import annotations

import io

import pytest
from fontTools import ttLib  # type: ignore[import-untyped]

from desktop_sync.i18n import resources_dir
from desktop_sync.printing.fonts import COMMON, common_path

FACES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]


def _font(data: bytes) -> ttLib.TTFont:
    return ttLib.TTFont(io.BytesIO(data))


@pytest.mark.parametrize("face", FACES)
def test_the_common_part_holds_the_common_characters_at_the_same_widths(face: str) -> None:
    path = resources_dir() / "fonts" / face
    whole, part = _font(path.read_bytes()), _font(common_path(path).read_bytes())
    wanted = {c for first, last in COMMON for c in range(first, last + 1)}
    whole_map = {c: g for c, g in whole.getBestCmap().items() if c in wanted}
    part_map = part.getBestCmap()
    assert part_map == whole_map  # the same characters, by the same glyph names
    assert {ord("Ж"), ord("ё"), ord("₽"), ord("№"), ord("«"), ord("’")} <= part_map.keys()
    for name in set(part_map.values()):
        assert part["hmtx"][name] == whole["hmtx"][name], name
    assert part["head"].unitsPerEm == whole["head"].unitsPerEm
