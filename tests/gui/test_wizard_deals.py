"""The connection wizard maps a deal pipeline (F9): its "send" and "paid" stages are
listed with the pipeline's name, and the choice is saved in the pipeline it belongs to,
other pipelines' settings kept."""

from __future__ import annotations

from pathlib import Path

from desktop_sync.config import AppPaths, ProfileStore
from desktop_sync.gui.controllers.main_controller import MainController
from desktop_sync.gui.controllers.wizard import ConnectionWizard
from desktop_sync.gui.controllers.wizard_tasks import merged_deals
from tests.gui.test_window_e2e import fast_open


def test_merged_deals_keeps_other_pipelines() -> None:
    before = {"0": {"send": "PREPARATION", "paid": "WON"}, "2": {"ship": "C2:X"}}
    after = merged_deals(before, {"send": "C1:UC_AGREED", "paid": ""})
    assert after == {"1": {"send": "C1:UC_AGREED"}, "2": {"ship": "C2:X"}}


def test_wizard_maps_a_deal_pipeline(qtbot, tmp_path: Path) -> None:
    from desktop_sync.sandbox import bitrix24, onec

    paths = AppPaths.resolve(tmp_path / "home")
    paths.ensure()
    onec_sb = onec.start(port=0)
    crm_sb = bitrix24.start(port=0, rate_limit=False)
    controller = MainController(paths, None, open_service=fast_open)
    qtbot.addWidget(controller.window)
    try:
        wizard = ConnectionWizard(paths, controller.runner, None, controller.window)
        qtbot.addWidget(wizard)
        wizard.name.setText("office")
        wizard.onec_url.setText(onec_sb.url)
        wizard.onec_user.setText(onec_sb.user)
        wizard.onec_password.setText(onec_sb.password)
        wizard.crm_url.setText(crm_sb.url)
        wizard.crm_webhook.setText(crm_sb.webhook)
        with qtbot.waitSignal(wizard.saved, timeout=30_000):
            wizard.test_button.click()
        assert wizard.tested, wizard.test_result.text()
        send, paid = wizard.deal_boxes["send"], wizard.deal_boxes["paid"]
        names = [send.itemText(i) for i in range(send.count())]
        assert "Опт: Согласовано" in names and "Общая: Новая" in names
        send.setCurrentIndex(send.findData("C1:UC_AGREED"))
        paid.setCurrentIndex(paid.findData("C1:UC_PAID"))
        with qtbot.waitSignal(wizard.saved, timeout=10_000):
            wizard.accept()
        saved = ProfileStore(paths.profiles_file).get("office")
        assert saved.deal_stages == {"1": {"send": "C1:UC_AGREED", "paid": "C1:UC_PAID"}}
    finally:
        controller.shutdown()
        crm_sb.stop()
        onec_sb.stop()
