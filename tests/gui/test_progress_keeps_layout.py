"""The progress strip never moves the tables: a worker's reports change only the strip.

During a medium apply each longer record name in the strip widened the window, and every
widening repainted the three tables (thousands of calls of the models' Python ``data()``
while the worker held the GIL): the longest stalls of the apply (issue 18)."""

from __future__ import annotations

from desktop_sync.engine.records import Progress, Stage
from desktop_sync.gui.controllers.progress import ProgressStrip
from desktop_sync.gui.views.main_window import MainWindowView


def test_reports_and_the_strip_leave_the_window_and_tables_as_they_are(qtbot) -> None:
    w = MainWindowView()
    qtbot.addWidget(w)
    w.resize(900, 600)
    w.show()
    qtbot.waitExposed(w)
    strip = ProgressStrip(w)
    before = (w.size(), w.tabs.geometry())
    strip.start("Reading both systems…")
    qtbot.wait(20)
    assert (w.size(), w.tabs.geometry()) == before  # showing the strip keeps its room
    for done in range(1, 6):
        name = "ООО «Очень длинное наименование контрагента» " * done * 4
        strip.show(Progress(Stage.APPLY, done, 5, name))
        qtbot.wait(5)
        assert (w.size(), w.tabs.geometry()) == before, done  # a long name widens nothing
    strip.end()
    qtbot.wait(20)
    assert (w.size(), w.tabs.geometry()) == before
