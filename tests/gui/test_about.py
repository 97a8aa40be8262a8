"""The About dialog (version, folders, diagnostics export) and "Start with my computer"."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel

from streampai_desktop import __version__, autostart
from streampai_desktop.ui.about import AboutDialog
from streampai_desktop.ui.pages.settings import SettingsPage
from tests.gui.conftest import Gui, until

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Autostart entries and the suggested export folder land in the test's own home."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    return home


def settings_page(gui: Gui) -> SettingsPage:
    page = gui.window.pages["settings"]
    assert isinstance(page, SettingsPage)
    return page


def visible_file_dialog() -> QFileDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QFileDialog) and widget.isVisible():
            return widget
    return None


def test_start_with_my_computer_writes_and_removes_the_autostart_entry(
    gui: Gui, home: Path
) -> None:
    page = settings_page(gui)
    entry = home / ".config" / "autostart" / "streampai-desktop.desktop"
    assert not page.autostart_check.isChecked()

    page.autostart_check.setChecked(True)
    gui.run(gui.vm.tasks.wait_idle())
    assert entry.is_file()
    assert "Exec=" in entry.read_text(encoding="utf-8")
    assert page.autostart_check.isChecked()

    page.autostart_check.setChecked(False)
    gui.run(gui.vm.tasks.wait_idle())
    assert not entry.exists()

    # Switched on from the desktop's own settings: the page shows it when it is shown again.
    autostart.enable(["streampai-desktop"])
    gui.window.show_page("settings")
    page.hide()
    page.show()
    assert page.autostart_check.isChecked()
    gui.run(gui.vm.tasks.wait_idle())
    assert entry.is_file(), "re-reading the state did not write or remove anything"


def test_about_shows_the_version_and_folders_from_settings(gui: Gui) -> None:
    settings_page(gui).about_button.click()
    about = gui.window.about
    assert isinstance(about, AboutDialog) and about.isVisible()
    text = " ".join(label.text() for label in about.findChildren(QLabel))
    assert __version__ in text
    assert str(gui.app.data_dir) in text
    about.reject()
    gui.run(until(lambda: gui.window.about is None, what="the dialog to close"))


def test_export_diagnostics_saves_a_zip_without_any_token(gui: Gui, tmp_path: Path) -> None:
    about = gui.window.show_about()
    folder = tmp_path / "exports"
    folder.mkdir()

    async def export() -> None:
        about.export_button.click()
        dialog = await until(visible_file_dialog, what="the save dialog")
        assert dialog.selectedFiles()[0].endswith(".zip")
        dialog.setDirectory(str(folder))  # the suggested name, in another folder
        dialog.accept()
        await until(lambda: "Saved to" in about.status.text(), within=10, what="the export")
        await gui.vm.tasks.wait_idle()

    gui.run(export())
    [target] = folder.glob("streampai-diagnostics-*.zip")
    assert str(target) in about.status.text()
    with zipfile.ZipFile(target) as archive:
        blob = b"".join(archive.read(name) for name in archive.namelist())
    assert blob, "the zip holds the settings and logs"
    for secret in (gui.app.tokens.overlay, gui.app.tokens.api):
        assert secret.encode() not in blob
    assert about.export_button.isEnabled()


def test_cancelling_the_save_dialog_exports_nothing(gui: Gui, tmp_path: Path) -> None:
    about = gui.window.show_about()

    async def cancel() -> None:
        about.export_button.click()
        dialog = await until(visible_file_dialog, what="the save dialog")
        dialog.reject()
        await gui.vm.tasks.wait_idle()

    gui.run(cancel())
    assert about.status.isHidden()
    assert about.export_button.isEnabled()
    assert not list(tmp_path.rglob("*.zip"))
