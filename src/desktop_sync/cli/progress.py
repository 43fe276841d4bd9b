"""A progress bar for long commands on a terminal: phase, counts, rate, time left.

Drawn by tqdm on stderr, one bar per phase (connecting, reading 1C, reading the
CRM, planning, applying). Off with ``--json`` and whenever stderr is not a
terminal (a scheduled task, a pipe, a log file): then nothing is printed at all.
See docs/decisions/cli-progress-and-export.md.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from desktop_sync.engine.records import Progress, Stage
from desktop_sync.i18n import N_, tr

_STAGES = {
    Stage.CONNECT: N_("Connecting to both systems"),
    Stage.RESUME: N_("Finishing writes an earlier run left unfinished"),
    Stage.READ_ONEC: N_("Reading 1C"),
    Stage.READ_CRM: N_("Reading the CRM"),
    Stage.PLAN: N_("Working out what to change"),
    Stage.APPLY: N_("Applying the changes"),
    Stage.DONE: N_("Done"),
}
_FORMAT = (
    "{desc}: {percentage:3.0f}% |{bar:20}| {n_fmt}/{total_fmt} "
    "[{elapsed}<{remaining}, {rate_fmt}]{postfix}"
)
_FORMAT_NO_TOTAL = "{desc}: {n_fmt} [{elapsed}, {rate_fmt}]{postfix}"


def enabled(as_json: bool) -> bool:
    return not as_json and sys.stderr.isatty()


class TerminalProgress:
    """A ``ProgressFn`` that draws the run's phases; a context manager that cleans up."""

    def __init__(self, on: bool) -> None:
        self.on = on
        self._bar: Any = None  # a tqdm bar; tqdm is imported only when one is drawn
        self._stage: Stage | None = None
        self._lock = threading.Lock()

    def __call__(self, p: Progress) -> None:
        if not self.on:
            return
        with self._lock:
            if p.stage is not self._stage:
                self._close()
                self._stage = p.stage
                if p.stage is Stage.DONE:
                    return
                from tqdm import tqdm

                self._bar = tqdm(
                    total=p.total or None,
                    desc=tr(_STAGES.get(p.stage, str(p.stage))),
                    unit="",
                    unit_scale=False,
                    leave=False,
                    file=sys.stderr,
                    dynamic_ncols=True,
                    bar_format=_FORMAT if p.total else _FORMAT_NO_TOTAL,
                    mininterval=0.2,
                )
            bar = self._bar
            if bar is None:
                return
            if p.total and bar.total != p.total:
                bar.total = p.total
                bar.bar_format = _FORMAT
            if p.done >= bar.n:
                bar.update(p.done - bar.n)
            if p.current:
                bar.set_postfix_str(p.current[:40], refresh=False)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def close(self) -> None:
        with self._lock:
            self._close()

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
