"""A config saved elsewhere (the local API here; sync takes the same path) while the widget editor
is open: a clean editor shows it at once; an editor with unsaved changes says so and lets the
streamer keep theirs or take the new one — never a silent overwrite either way."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from streampai_desktop.ui.pages.widget_editor import WidgetEditor
from streampai_desktop.ui.pages.widget_form import IntEditor
from tests.gui.conftest import Gui, until
from tests.gui.test_widget_settings import open_editor, save, type_into

pytestmark = pytest.mark.gui


def put_config(gui: Gui, widget_id: str, changes: dict[str, Any]) -> None:
    """What a stream deck or a script does: PUT the whole config over the local API."""
    config = copy.deepcopy(gui.app.widgets[widget_id].config)
    config.update(changes)

    async def put() -> None:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{gui.app.port}",
            headers={"Authorization": f"Bearer {gui.app.tokens.api}"},
        ) as http:
            response = await http.put(f"/api/v1/widgets/{widget_id}/config", json=config)
            assert response.status_code == 200, response.text

    gui.run(put())


def font_size(editor: WidgetEditor) -> IntEditor:
    field = editor.form.editor("font_size")
    assert isinstance(field, IntEditor)
    return field


def max_messages(editor: WidgetEditor) -> int:
    return int(editor.form.editor("max_messages").value())


def test_a_clean_editor_shows_a_change_made_elsewhere_at_once(gui: Gui) -> None:
    editor = open_editor(gui, "chat_box")
    assert font_size(editor).value() == 20
    put_config(gui, "chat_box", {"font_size": 44})
    gui.run(until(lambda: font_size(editor).value() == 44, what="the new font size in the form"))
    assert "local API" in editor.state_label.text()
    assert not editor.conflict_banner.isVisible() and not editor.dirty


def test_unsaved_changes_are_kept_until_the_streamer_chooses_to_keep_them(gui: Gui) -> None:
    editor = open_editor(gui, "chat_box")
    type_into(font_size(editor).spin.lineEdit(), "31")
    assert editor.dirty
    put_config(gui, "chat_box", {"max_messages": 7})
    gui.run(until(editor.conflict_banner.isVisible, what="the conflict banner"))
    assert "changed by another tool" in editor.conflict_banner.text.text()
    assert font_size(editor).value() == 31, "the draft is untouched"
    assert max_messages(editor) != 7

    editor.keep_mine_button.click()
    assert not editor.conflict_banner.isVisible()
    assert font_size(editor).value() == 31 and editor.dirty
    save(gui, editor)
    stored = gui.app.widgets["chat_box"].config
    assert stored["font_size"] == 31, "the streamer's version was saved, as they chose"
    assert not editor.dirty


def test_taking_the_new_settings_drops_the_draft(gui: Gui) -> None:
    editor = open_editor(gui, "chat_box")
    type_into(font_size(editor).spin.lineEdit(), "31")
    put_config(gui, "chat_box", {"max_messages": 7, "font_size": 25})
    gui.run(until(editor.conflict_banner.isVisible, what="the conflict banner"))
    assert gui.app.widgets["chat_box"].config["font_size"] == 25, "the API's save is stored"

    assert editor.conflict_banner.button is not None
    editor.conflict_banner.button.click()
    assert not editor.conflict_banner.isVisible() and not editor.dirty
    assert (font_size(editor).value(), max_messages(editor)) == (25, 7)
    assert gui.app.widgets["chat_box"].config["font_size"] == 25, "nothing was overwritten"
