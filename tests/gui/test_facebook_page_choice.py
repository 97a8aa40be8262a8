"""Connecting Facebook with several Pages: the Platforms page lists them in the sign-in panel
and the streamer picks the one they stream from (the flow waits for the click)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from streampai_desktop.platforms.flows import Choice, ChoiceStep, asker
from streampai_desktop.ui.pages.platforms import PlatformsPage
from tests.gui.conftest import Gui, until

pytestmark = pytest.mark.gui


def test_the_platforms_page_lists_the_pages_to_pick_from(gui: Gui, artifacts_dir: Path) -> None:
    page = gui.window.pages["platforms"]
    assert isinstance(page, PlatformsPage)
    gui.window.show()
    gui.window.show_page("platforms")
    row = page.rows["facebook"]
    assert row.connect_button.isEnabled()
    assert "Streampai account" in row.note.text()
    panel = row.code_panel

    async def scenario() -> Choice:
        step = ChoiceStep(
            "Casey manages several Facebook Pages: which one do you stream from?",
            "page",
            (Choice("1", "Cool Streamer", "Gamer"), Choice("2", "Cooking Side Channel")),
        )
        # The flow shows the step through the row, as a sign-in does, and waits for the pick.
        picking = asyncio.ensure_future(asker(row._show_step)(step))
        await until(lambda: panel.choices.isVisible(), what="the list of Pages")
        assert panel.instructions.text() == step.prompt
        assert [panel.choices.item(i).text() for i in range(panel.choices.count())] == [
            "Cool Streamer — Gamer",
            "Cooking Side Channel",
        ]
        assert not panel.choose_button.isEnabled(), "nothing picked yet"
        gui.window.grab().save(str(artifacts_dir / "platforms-facebook-page-choice.png"))
        assert not panel.open_button.isVisible() and not panel.code.isVisible()
        await asyncio.sleep(0.1)
        assert not picking.done(), "the flow waits for the streamer"
        panel.choices.setCurrentRow(1)
        assert panel.choose_button.isEnabled()
        panel.choose_button.click()
        chosen = await asyncio.wait_for(picking, 5)
        assert "Connecting Cooking Side Channel" in panel.waiting.text()
        panel.reset()
        assert not panel.choices.isVisible() and panel.choices.count() == 0
        return chosen

    assert gui.run(scenario()) == Choice("2", "Cooking Side Channel")
