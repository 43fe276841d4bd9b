"""The Inbox is the one list of what waits; the status bar says the same numbers, and a
plan with only items can still be run so they reach the Inbox (issue 19, item 3)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from desktop_sync.engine.service import SyncService
from desktop_sync.gui.controllers.main_controller import MainController
from desktop_sync.gui.controllers.plan_review import PlanReviewDialog
from tests.gui.sandbox_env import sandbox_env


def test_status_bar_agrees_with_the_inbox_and_items_alone_can_be_sent(
    qtbot, tmp_path: Path
) -> None:
    with sandbox_env(tmp_path / "home") as env:
        c = MainController(
            env.paths,
            "demo",
            open_service=lambda p, paths: SyncService.open(p, paths, crm_throttle=False),
        )
        qtbot.addWidget(c.window)
        try:
            qtbot.waitUntil(lambda: c.snapshot is not None and not c.runner.busy, timeout=60_000)
            plan = c.plan
            assert plan is not None and plan.items, "the seeded data has items to decide"
            inbox_n = len(c.inbox.model.entries())
            text = c.window.statusBar().currentMessage()
            assert f"In the Inbox: {inbox_n}." in text
            new = sum(
                1 for i in plan.items if i.key not in {e.key for e in c.inbox.model.entries()}
            )
            assert f"{new} more will join it" in text

            # a plan of items alone: the button sends them to the Inbox
            only_items = replace(plan, operations=())
            dialog = PlanReviewDialog(only_items, c.window)
            qtbot.addWidget(dialog)
            assert dialog.apply_button.isEnabled()
            assert dialog.apply_button.text() == "Put in the Inbox"
            assert dialog.apply_button.isDefault() and not dialog.tick_all.autoDefault()
            c.apply(plan, {op.op_id for op in plan.operations})  # every change unticked
            qtbot.waitUntil(lambda: c.summary_dialog is not None, timeout=60_000)
            qtbot.waitUntil(lambda: not c.runner.busy and c.snapshot is not None, timeout=60_000)
            qtbot.waitUntil(
                lambda: "more will join" not in c.window.statusBar().currentMessage(),
                timeout=60_000,
            )
            assert len(c.inbox.model.entries()) >= len(plan.items)
        finally:
            c.shutdown()


def test_an_empty_inbox_says_what_will_join_it(qtbot, tmp_path: Path) -> None:
    """The demo before its first run: the Inbox said «Ничего не ждёт вашего решения.»
    while four rows on the tabs read «Ждёт решения» and the status bar said they join it
    at the next Synchronize. It says so itself now, in both languages; a decision taken
    is not counted again."""
    from desktop_sync.i18n import set_language
    from tests.gui.sandbox_env import demo_env, loaded_window

    for lang in ("ru", "en"):
        set_language(lang)
        try:
            with demo_env(tmp_path / lang) as env, loaded_window(qtbot, env) as c:
                assert c.plan is not None and not c.inbox.model.entries()
                n = len(c.plan.items)
                headline = c.inbox.headline.text()
                if lang == "ru":
                    assert headline.startswith("Пока ничего не ждёт вашего решения."), headline
                    assert f"Ещё {n} попадут сюда при синхронизации" in headline, headline
                else:
                    assert headline.startswith("Nothing waits for you yet."), headline
                    assert f"{n} more will join it when you synchronize" in headline, headline
                with SyncService.open(env.profile, env.paths, crm_throttle=False) as svc:
                    svc.run()  # after a run they are in it: nothing more to join
                    entries = svc.inbox()
                joins = "попад" if lang == "ru" else "will join"
                c.decisions.show(entries)
                assert len(entries) == n and joins not in c.inbox.headline.text()
                c.decisions.resolve([entries[0].id], "skip", None)  # decided: gone, not new
                left = n - 1
                qtbot.waitUntil(lambda c=c, left=left: len(c.inbox.model.entries()) == left)
                assert joins not in c.inbox.headline.text(), c.inbox.headline.text()
        finally:
            set_language("en")
