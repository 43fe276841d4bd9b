"""The table, the JSON file and the chart."""

from __future__ import annotations

import json
import math
import sys
import textwrap
from pathlib import Path
from typing import Any

from benchmarks.common import Row


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(rows: list[Row]) -> str:
    out: list[str] = []
    group = None
    width = max((len(r.name) for r in rows), default=20)
    for r in rows:
        if r.group != group:
            group = r.group
            out.append("")
            out.append(f"== {group}")
            out.append(
                f"  {'measure':<{width}}  {'value':>10} {'unit':<7} {'floor':>9}  "
                f"{'ratio':>6}  {'wall s':>8} {'CPU s':>8}  floor from / note"
            )
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "—"
        why = "; ".join(x for x in (r.floor_source if r.floor is not None else "", r.note) if x)
        mark = "*" if r.step_times else " "
        out.append(
            f"  {r.name:<{width}}  {_num(r.value):>10} {r.unit:<7} {_num(r.floor):>9}  "
            f"{ratio:>6}  {_num(r.wall_s):>8}{mark}{_num(r.cpu_s):>8}{mark} {why}"
        )
    out.append("")
    out.append(
        "wall s / CPU s: the line's own span; CPU is this process's (every thread, sandboxes "
        "included when they run in it); * = the whole step's, the line has no span of its own"
    )
    return "\n".join(out).lstrip("\n")


def write_json(rows: list[Row], path: Path, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"meta": meta, "rows": [r.to_json() for r in rows]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), "utf-8")


def write_chart(rows: list[Row], path: Path) -> str:
    """A bar chart of every ratio against its floor (log scale); '' or why not drawn."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "no chart: matplotlib is not installed (pip install -e '.[bench]')"
    ratios = [(_label(r), r.ratio) for r in rows if r.ratio is not None]
    if not ratios:
        return "no chart: no ratios"
    fig, ax = plt.subplots(figsize=(13, 0.36 * len(ratios) + 1.5))
    labels = [n for n, _ in ratios]
    values = [float(v) for _, v in ratios if v is not None]
    ax.barh(range(len(values)), values, color=["#3a7" if v <= 1.5 else "#c63" for v in values])
    ax.set_yticks(range(len(values)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=0.8)
    if max(values) / max(min(values), 1e-9) > 20:
        ax.set_xscale("log")
    ax.set_xlabel("measured ÷ floor (1 = at the floor)")
    ax.set_title("desktop-sync benchmarks: ratio to the floor")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return ""


def _label(r: Row) -> str:
    group = r.group
    for long, short in (
        ("rate limit on, ", ""),
        ("https, bucket full at start, real time", "peers"),
        (", window open → Synchronize → Apply, Qt offscreen", ""),
        ("responsiveness ", ""),
    ):
        group = group.replace(long, short)
    return textwrap.shorten(f"{group}: {r.name}", 80)


def rows_from_json(path: Path) -> list[Row]:
    data = json.loads(path.read_text("utf-8"))
    fields = ("group", "name", "value", "unit", "floor", "floor_source", "note", "extra")
    spans = ("wall_s", "cpu_s", "step_times")  # absent from files of before issue 18
    return [
        Row(**{k: d[k] for k in fields}, **{k: d[k] for k in spans if k in d}) for d in data["rows"]
    ]


def main(argv: list[str]) -> int:
    """``python -m benchmarks.report RESULT.json``: draw the chart of an earlier run again."""
    for arg in argv:
        src = Path(arg)
        why = write_chart(rows_from_json(src), src.with_suffix(".png"))
        print(why or f"{src.with_suffix('.png')}")
    return 0


def finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
