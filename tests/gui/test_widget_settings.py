"""The generated widget settings forms: stored values shown, problems shown next to their field
(nothing saved), valid changes pushed live and kept across a restart, media import."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from streampai_desktop.app import App
from streampai_desktop.core.bus import widget_config_topic
from streampai_desktop.ui.pages.widget_editor import WidgetEditor
from streampai_desktop.ui.pages.widget_form import (
    ColorEditor,
    IntEditor,
    LoginsEditor,
    MediaEditor,
    MoneyEditor,
    SecondsEditor,
    TextEditor,
)
from tests.gui.conftest import Gui, gui_options, widgets_page

pytestmark = pytest.mark.gui


def open_editor(gui: Gui, widget_id: str) -> WidgetEditor:
    gui.window.show_page("widgets")
    return widgets_page(gui).select(widget_id)


def type_into(edit: QLineEdit, text: str) -> None:
    """Replace the text the way a streamer does: select all, type."""
    edit.setFocus()
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key.Key_Backspace)
    QTest.keyClicks(edit, text)


def save(gui: Gui, editor: WidgetEditor) -> None:
    QTest.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    gui.run(gui.vm.tasks.wait_idle())


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_the_form_shows_the_stored_values(gui: Gui) -> None:
    chat = dict(gui.app.widgets["chat_box"].config)
    chat.update(
        theme="clean",
        font_size=33,
        text_color="#123456",
        background_color="transparent",
        message_background="#11223344",
        hidden_bots=["botty", "nightbot"],
    )
    alerts = gui.app.widgets["alert_box"].config
    alerts["types"]["cheer"].update(
        template="{name} threw {amount}!",
        font_size=70,
        variations=[
            {
                "name": "Big cheer",
                "conditions": [{"field": "amount", "op": ">=", "value": 1000}],
                "weight": 0,
                "overrides": {"font_size": 96},
            }
        ],
    )

    async def store() -> None:
        await gui.app.widgets.save_config("chat_box", chat)
        await gui.app.widgets.save_config("alert_box", alerts)

    gui.run(store())

    editor = open_editor(gui, "chat_box")
    form = editor.form
    assert form.editor("theme").combo.currentText() == "Clean (text only)"  # type: ignore[attr-defined]
    font_size = form.editor("font_size")
    assert isinstance(font_size, IntEditor)
    assert font_size.spin.text() == "33 px"
    text_color = form.editor("text_color")
    assert isinstance(text_color, ColorEditor)
    assert text_color.edit.text() == "#123456"
    background = form.editor("background_color")
    assert isinstance(background, ColorEditor)
    assert background.named["transparent"].isChecked()
    assert not background.edit.isEnabled()
    message_bg = form.editor("message_background")
    assert isinstance(message_bg, ColorEditor) and message_bg.edit.text() == "#11223344"
    bots = form.editor("hidden_bots")
    assert isinstance(bots, LoginsEditor) and bots.edit.text() == "botty, nightbot"
    assert editor.state_label.text() == "All changes saved"
    assert not editor.save_button.isEnabled()

    editor = open_editor(gui, "alert_box")
    assert editor.types is not None
    pane = editor.types.select("cheer")
    template = pane.form.editor("template")
    assert isinstance(template, TextEditor)
    assert template.edit.text() == "{name} threw {amount}!"
    assert pane.form.editor("font_size").value() == 70
    assert [p.name.text() for p in pane.variations.panels] == ["Big cheer"]
    panel = pane.variations.panels[0]
    assert panel.conditions[0].values() == {"field": "amount", "op": ">=", "value": 1000}
    assert panel.overrides["font_size"].editor.value() == 96
    # The other types keep their defaults.
    follow = editor.types.select("follow")
    assert follow.form.editor("template").value() == "{name} just followed!"


def test_unusable_values_are_explained_next_to_the_field_and_nothing_is_saved(
    gui: Gui,
) -> None:
    stored = gui.app.widgets["chat_box"].config
    updates = gui.app.bus.subscribe([widget_config_topic("chat_box")], name="test-config")
    editor = open_editor(gui, "chat_box")
    font_size = editor.form.editor("font_size")
    assert isinstance(font_size, IntEditor)
    type_into(font_size.spin.lineEdit(), "500")
    assert font_size.value() == 500, "typing beyond the limit is kept, not silently clamped"
    assert editor.dirty and editor.state_label.text() == "Unsaved changes"
    item = widgets_page(gui).tree.currentItem()
    assert item is not None and item.text(0).endswith("•")
    text_color = editor.form.editor("text_color")
    assert isinstance(text_color, ColorEditor)
    type_into(text_color.edit, "#12345g")

    save(gui, editor)
    rows = editor.form.rows
    assert rows["font_size"].error.isVisible()
    assert rows["font_size"].error.text() == "Font size must be at most 64 px"
    assert rows["text_color"].error.text().startswith("Text colour must be a colour like")
    assert not rows["theme"].error.isVisible()
    assert editor.problems_banner.isVisible()
    assert "2 settings need fixing" in editor.problems_banner.text.text()
    assert "Not saved" in editor.state_label.text()
    assert gui.app.widgets["chat_box"].config == stored
    assert updates.get_nowait() is None, "nothing was pushed to the overlays"

    # Fixing a value clears its message as the streamer types.
    type_into(font_size.spin.lineEdit(), "40")
    assert not rows["font_size"].error.isVisible()
    assert rows["text_color"].error.isVisible()

    editor.revert_button.click()
    assert font_size.value() == stored["font_size"]
    assert text_color.edit.text() == stored["text_color"]
    assert not editor.problems_banner.isVisible() and not editor.dirty
    updates.close()


def test_an_empty_template_and_a_broken_variation_are_refused(gui: Gui) -> None:
    stored = gui.app.widgets["alert_box"].config
    editor = open_editor(gui, "alert_box")
    assert editor.types is not None
    pane = editor.types.select("donation")
    template = pane.form.editor("template")
    assert isinstance(template, TextEditor)
    type_into(template.edit, "   ")
    pane.variations.add_button.click()
    panel = pane.variations.panels[0]
    type_into(panel.name, "")
    panel.add_condition()
    condition = panel.conditions[0]
    condition.field.setCurrentIndex(condition.field.findData("amount"))
    condition.value.setEditText("lots")
    editor.types.select("follow")  # the streamer looks elsewhere before saving

    save(gui, editor)
    assert editor.types.list.currentItem().text() == "⚠ Donation", "save shows the problem"
    assert pane.form.rows["template"].error.text() == "Message template must not be empty"
    assert panel.name_error.text() == "Variation name must not be empty"
    assert condition.error.text() == "amount must be compared with a whole number"
    assert pane.variations.list.item(0).text().endswith("⚠")
    summary = editor.problems_banner.text.text()
    assert "Donation, variation 1: Variation name must not be empty" in summary
    assert gui.app.widgets["alert_box"].config == stored


def test_a_valid_change_is_pushed_live_and_survives_a_restart(
    qloop: qasync.QEventLoop, gui: Gui, tmp_path: Path, free_port: int
) -> None:
    updates = gui.app.bus.subscribe([widget_config_topic("alert_box")], name="test-config")
    editor = open_editor(gui, "alert_box")
    assert editor.types is not None
    pane = editor.types.select("cheer")
    font_size = pane.form.editor("font_size")
    assert isinstance(font_size, IntEditor)
    type_into(font_size.spin.lineEdit(), "90")
    color = pane.form.editor("highlight_color")
    assert isinstance(color, ColorEditor)
    color.swatch.click()  # the colour dialog opens without blocking
    assert color.dialog is not None and color.dialog.isVisible()
    color.dialog.setCurrentColor(QColor("#00ff88"))
    color.dialog.accept()
    assert color.edit.text() == "#00ff88"

    pane.variations.add_button.click()
    panel = pane.variations.panels[0]
    type_into(panel.name, "Big cheer")
    panel.add_condition()
    panel.conditions[0].value.setEditText("1000")
    panel.add_override.setCurrentIndex(panel.add_override.findData("text_color"))
    panel.add_override.activated.emit(panel.add_override.currentIndex())
    override = panel.overrides["text_color"].editor
    assert isinstance(override, ColorEditor)
    assert override.edit.text() == "#ffffff", "an override starts from the type's own value"
    type_into(override.edit, "#FF0000")
    queue_gap = editor.form.editor("gap_ms")
    assert isinstance(queue_gap, SecondsEditor), "durations are shown in seconds"
    assert queue_gap.spin.text() == "1 s"
    type_into(queue_gap.spin.lineEdit(), "2.5")  # stored in ms, as before

    save(gui, editor)
    assert editor.state_label.text().startswith("Saved")
    assert not editor.dirty and not editor.problems_banner.isVisible()
    message = updates.get_nowait()
    assert message is not None
    pushed = message.payload.config
    cheer = pushed["types"]["cheer"]
    assert (cheer["font_size"], cheer["highlight_color"], pushed["gap_ms"]) == (90, "#00ff88", 2500)
    assert cheer["variations"] == [
        {
            "name": "Big cheer",
            "conditions": [{"field": "amount", "op": ">=", "value": 1000}],
            "weight": 0,
            "overrides": {"text_color": "#ff0000"},  # cleaned: lower case
        }
    ]
    shown = pane.variations.panels[0].overrides["text_color"].editor
    assert shown.value() == "#ff0000", "the form shows what was saved"
    updates.close()
    gui.run(gui.session.stop())

    async def restart() -> dict[str, object]:
        app = App(gui_options(tmp_path / "data", free_port, headless=True))
        await app.start()
        try:
            return app.widgets["alert_box"].config
        finally:
            await app.shutdown()

    assert qloop.run_until_complete(restart()) == pushed


def test_choose_file_imports_the_picked_file_or_says_why_not(gui: Gui, tmp_path: Path) -> None:
    good = tmp_path / "my logo.png"
    good.write_bytes(png_bytes())
    fake = tmp_path / "not-an-image.png"
    fake.write_text("hello")
    editor = open_editor(gui, "alert_box")
    assert editor.types is not None
    image = editor.types.select("follow").form.editor("image")
    assert isinstance(image, MediaEditor)
    assert image.combo.currentText() == "Follow (built in, svg)"
    row = editor.types.panes["follow"].form.rows["image"]

    image.choose_button.click()
    assert image.dialog is not None and image.dialog.isVisible()
    image.dialog.selectFile(str(fake))
    image.dialog.accept()
    gui.run(gui.vm.tasks.wait_idle())
    assert row.error.text() == "not-an-image.png is not really a .png file."
    assert image.value() == "builtin/follow.svg"

    image.choose_button.click()
    assert image.dialog is not None
    image.dialog.selectFile(str(good))
    image.dialog.accept()
    gui.run(gui.vm.tasks.wait_idle())
    assert not row.error.isVisible()
    assert image.value().startswith("user/") and image.value().endswith(".png")
    assert image.combo.currentText() == "my logo.png"
    assert editor.dirty
    save(gui, editor)
    assert gui.app.widgets["alert_box"].config["types"]["follow"]["image"] == image.value()


def test_units_are_seconds_and_money_and_each_type_shows_only_its_settings(gui: Gui) -> None:
    editor = open_editor(gui, "alert_box")
    assert editor.types is not None
    follow = editor.types.select("follow")
    duration = follow.form.editor("duration_ms")
    assert isinstance(duration, SecondsEditor) and duration.spin.text() == "6 s"
    assert not {"min_amount", "show_message", "message_min_amount"} & set(follow.form.rows)
    follow.variations.add_button.click()
    panel = follow.variations.panels[0]
    offered = {panel.add_override.itemData(i) for i in range(panel.add_override.count())}
    assert "min_amount" not in offered and "show_message" not in offered
    assert "text_color" in offered
    condition = panel.add_condition()
    assert [condition.field.itemData(i) for i in range(condition.field.count())] == ["platform"]
    follow.variations.remove_current()

    raid = editor.types.select("raid")
    assert "show_message" not in raid.form.rows
    assert raid.form.rows["min_amount"].editor.field.label == "Minimum raid size"

    donation = editor.types.select("donation")
    minimum = donation.form.editor("min_amount")
    assert isinstance(minimum, MoneyEditor)
    assert minimum.spin.text() == "$0.00"
    type_into(minimum.spin.lineEdit(), "5")
    delay = donation.form.editor("text_delay_ms")
    assert isinstance(delay, SecondsEditor)
    type_into(delay.spin.lineEdit(), "1.25")
    donation.variations.add_button.click()
    big = donation.variations.panels[0]
    type_into(big.name, "Big one")
    amount = big.add_condition()
    assert amount.field.currentText() == "Amount ($)"
    amount.value.setEditText("25.00")
    save(gui, editor)
    assert editor.state_label.text().startswith("Saved")
    stored = gui.app.widgets["alert_box"].config["types"]
    assert (stored["donation"]["min_amount"], stored["donation"]["text_delay_ms"]) == (500, 1250)
    assert stored["donation"]["variations"][0]["conditions"] == [
        {"field": "amount", "op": ">=", "value": 2500}
    ]
    assert stored["follow"]["min_amount"] == 0, "settings the form hides are still stored"
    shown = donation.variations.panels[0].conditions[0]
    assert shown.value.currentText() == "25.00", "the saved amount shows as money"


def test_alert_each_gifted_sub_is_offered_for_subscriptions_only_and_saved(gui: Gui) -> None:
    editor = open_editor(gui, "alert_box")
    assert editor.types is not None
    for kind in ("gift_subscription", "follow", "cheer", "membership"):
        assert "alert_gifted" not in editor.types.select(kind).form.rows, kind
    subscription = editor.types.select("subscription")
    gifted = subscription.form.editor("alert_gifted")
    assert gifted.value() is False, "off by default: the gift alert stands for its subs"
    QTest.mouseClick(gifted.focus_target(), Qt.MouseButton.LeftButton)
    save(gui, editor)
    assert editor.state_label.text().startswith("Saved")
    stored = gui.app.widgets["alert_box"].config["types"]
    assert stored["subscription"]["alert_gifted"] is True
