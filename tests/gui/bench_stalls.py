"""How long the window's event loop ever stops while a whole sync of a data set runs.

    .venv/bin/python -m tests.gui.bench_stalls [small|medium|large]

Starts both sandboxes (in this process: their serving competes for the GIL, so the
numbers are pessimistic), opens the real window, clicks Synchronize, applies the
whole plan and waits for the summary, with a 5 ms timer measuring every gap in the
event loop. Prints the longest stall, the slowest GUI-thread handlers and the
floor it is judged against (50 ms).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

FLOOR_MS = 50


def main(size: str) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop_sync.gui.qtcompat import pin_singletons

    pin_singletons()
    from PySide6.QtCore import QEventLoop

    from desktop_sync.engine.service import SyncService
    from desktop_sync.gui.app import create_app
    from desktop_sync.gui.controllers import main_controller as mc
    from tests.gui.sandbox_env import sandbox_env
    from tests.gui.test_workers import StallMeter

    app = create_app()  # as the program starts it (switch interval included)

    def wait(cond, timeout: float = 900) -> None:
        start = time.monotonic()
        while not cond():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if time.monotonic() - start > timeout:
                raise TimeoutError

    from desktop_sync.gui.controllers.inbox_actions import InboxActions
    from desktop_sync.gui.controllers.progress import ProgressStrip

    slowest: dict[str, float] = {}
    handlers = [(mc.MainController, n) for n in ("_loaded", "_review", "_open_review", "_applied")]
    handlers += [(ProgressStrip, "show"), (InboxActions, "show")]
    for cls, name in handlers:
        original = getattr(cls, name)

        def timed(self, *args, _original=original, _name=f"{cls.__name__}.{name}"):
            t = time.perf_counter()
            result = _original(self, *args)
            slowest[_name] = max(slowest.get(_name, 0.0), (time.perf_counter() - t) * 1000)
            return result

        setattr(cls, name, timed)

    with tempfile.TemporaryDirectory() as tmp, sandbox_env(Path(tmp) / "home", size=size) as env:
        c = mc.MainController(
            env.paths, "demo",
            open_service=lambda p, a: SyncService.open(p, a, crm_throttle=False),
        )  # fmt: skip
        c.window.show()
        wait(lambda: c.snapshot is not None and not c.runner.busy)
        meter = StallMeter()
        meter.start()
        t0 = time.perf_counter()
        c.synchronize()
        wait(lambda: c.plan_dialog is not None and c.plan_dialog.filled)
        ops = len(c.plan_dialog.plan.operations)
        t_plan = time.perf_counter() - t0
        c.plan_dialog.accept()
        wait(lambda: c.summary_dialog is not None and not c.runner.busy)
        meter.stop()
        total = time.perf_counter() - t0
        c.shutdown()
    print(f"data set: {size}; operations applied: {ops}")
    print(f"read + plan: {t_plan:.1f} s; read + review + apply + re-read: {total:.1f} s")
    print(f"event-loop ticks: {meter.ticks}; longest stall: {meter.worst} ms "
          f"(floor {FLOOR_MS} ms: ratio {meter.worst / FLOOR_MS:.1f})")  # fmt: skip
    print("slowest GUI-thread handlers (ms):",
          {k: round(v, 1) for k, v in sorted(slowest.items())})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "medium"))
