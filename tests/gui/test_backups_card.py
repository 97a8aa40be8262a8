"""Settings → Backups: the list, "Back up now", "Restore…" (asks, naming the date, then
schedules the restore and quits), "Export…" / "Import…", and how the card looks in both
themes at 1024x640."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QScrollArea

from streampai_desktop.archive import daily
from streampai_desktop.archive.listing import when_text
from streampai_desktop.store.backups import create_backup, database_path
from streampai_desktop.store.restore import pending_restore
from streampai_desktop.ui.pages import backups_card
from streampai_desktop.ui.pages.backups_card import BackupsCard
from tests.gui.conftest import Gui, button, find_dialog, until

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def no_daily_backup_during_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own daily backup would land in the list at a moment the test does not choose."""
    monkeypatch.setattr(daily, "FIRST_DELAY_S", 3600.0)


def card_of(gui: Gui) -> BackupsCard:
    gui.window.show_page("settings")
    card = gui.window.pages["settings"].backups_card  # type: ignore[attr-defined]
    assert isinstance(card, BackupsCard)
    gui.run(gui.vm.tasks.wait_idle())
    return card


def column(card: BackupsCard, index: int) -> list[str]:
    return [card.table.item(row, index).text() for row in range(card.table.rowCount())]


def test_the_list_shows_the_backups_and_back_up_now_adds_one(gui: Gui) -> None:
    card = card_of(gui)
    assert card.table.rowCount() == 0 and card.empty.isVisible()
    assert not card.restore_button.isEnabled(), "nothing to restore yet"

    made = create_backup(database_path(gui.app.data_dir))  # as the daily worker makes one
    card.refresh()
    gui.run(gui.vm.tasks.wait_idle())
    assert column(card, 0) == [when_text(made.created_at)]
    assert column(card, 1) == ["daily"] and column(card, 2)[0].endswith("KB")

    card.backup_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert card.table.rowCount() == 2 and card.table.isVisible() and not card.empty.isVisible()
    assert column(card, 1)[0] == "made by you", "newest first"
    assert card.status.objectName() == "inlineOk" and "Backed up" in card.status.text()


def test_restore_asks_with_the_date_then_schedules_it_and_quits(gui: Gui) -> None:
    made = create_backup(database_path(gui.app.data_dir), "manual")
    card = card_of(gui)
    quits: list[bool] = []
    gui.window.quit_requested.connect(lambda: quits.append(True))
    card.table.selectRow(0)
    assert card.restore_button.isEnabled()

    async def cancel_then_confirm() -> None:
        card.restore_button.click()
        box = await until(lambda: find_dialog("confirmDialog"), what="confirmation")
        assert when_text(made.created_at) in box.text() and "kept as a backup" in box.text()
        button(box, "Cancel").click()
        await gui.vm.tasks.wait_idle()
        assert pending_restore(gui.app.data_dir) is None and not quits

        card.restore_button.click()
        box = await until(lambda: find_dialog("confirmDialog"), what="confirmation")
        button(box, "Restore and quit").click()
        await gui.vm.tasks.wait_idle()

    gui.run(cancel_then_confirm())
    assert pending_restore(gui.app.data_dir) == made.name
    assert quits == [True], "the app quits; the next start restores"
    assert "starts next" in card.status.text()


def test_export_then_import_adds_the_widgets_to_the_window(
    gui: Gui, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "setup.zip"

    async def save_path(*_args: Any) -> Path:
        return target

    async def open_path(*_args: Any) -> Path:
        return target

    monkeypatch.setattr(backups_card, "ask_save_path", save_path)
    monkeypatch.setattr(backups_card, "ask_open_path", open_path)
    card = card_of(gui)
    before = len(gui.vm.widgets())
    changed: list[bool] = []
    gui.vm.widgets_changed.connect(lambda: changed.append(True))

    card.export_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert target.is_file() and f"Exported {before} widgets" in card.status.text()

    card.import_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert f"Imported {before} widgets" in card.status.text()
    gui.run(until(lambda: changed, what="the window hears of the new widgets"))
    assert len(gui.vm.widgets()) == 2 * before


def test_a_damaged_file_is_refused_inline(
    gui: Gui, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "holiday.zip"
    bad.write_bytes(b"not a zip at all")

    async def open_path(*_args: Any) -> Path:
        return bad

    monkeypatch.setattr(backups_card, "ask_open_path", open_path)
    card = card_of(gui)
    before = len(gui.vm.widgets())
    card.import_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert card.status.objectName() == "inlineError"
    assert "holiday.zip is not a zip file, or it is damaged" in card.status.text()
    assert len(gui.vm.widgets()) == before and card.import_button.isEnabled()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot_at_1024x640(gui: Gui, artifacts_dir: Path, theme: str) -> None:
    for kind in ("daily", "manual", "before-restore"):
        create_backup(database_path(gui.app.data_dir), "automatic" if kind == "daily" else kind)
    gui.run(gui.vm.set_theme(theme))
    gui.window.resize(1024, 640)
    card = card_of(gui)
    card.refresh()
    gui.run(gui.vm.tasks.wait_idle())
    card.table.selectRow(1)
    area = gui.window.pages["settings"].findChild(QScrollArea, "pageScroll")
    assert area is not None
    area.ensureWidgetVisible(card, 0, 0)
    gui.run(asyncio.sleep(0.05))
    assert card.table.rowCount() == 3
    assert not area.horizontalScrollBar().isVisible(), "the page never scrolls sideways"
    right = card.mapTo(area.viewport(), card.rect().topRight()).x()
    assert right <= area.viewport().width()
    assert gui.window.grab().save(str(artifacts_dir / f"backups-card-{theme}-1024x640.png"))
