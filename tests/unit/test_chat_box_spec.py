"""The Chat Box's settings: the app's spec and the overlay's defaults (chat.js) agree, and a config
saved before a setting existed gets that setting's default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from streampai_desktop.widgets import chat_box

CHAT_JS = Path(__file__).parents[2] / "overlays" / "src" / "chat_box" / "chat.js"
# Lists the overlay checks with helpers of their own rather than DEFAULT_CHAT_SETTINGS.
LIST_SETTINGS = {"hidden_bots", "muted_users"}


def js_defaults() -> dict[str, Any]:
    source = CHAT_JS.read_text("utf-8")
    block = re.search(r"DEFAULT_CHAT_SETTINGS = Object\.freeze\(\{(.*?)\n\}\)", source, re.S)
    assert block, "DEFAULT_CHAT_SETTINGS not found in chat.js"
    out: dict[str, Any] = {}
    for key, literal in re.findall(r"^\s+(\w+): (.+?),?$", block.group(1), re.M):
        if literal in ("true", "false"):
            out[key] = literal == "true"
        elif literal.startswith("'"):
            out[key] = literal.strip("'")
        else:
            out[key] = int(literal)
    return out


def test_the_overlay_falls_back_to_the_same_defaults_as_the_app() -> None:
    app = {k: v for k, v in chat_box.defaults().items() if k not in LIST_SETTINGS}
    assert js_defaults() == app
    assert app["show_paid_messages"] is True and app["show_notices"] is False


def test_a_config_saved_before_the_paid_and_notice_settings_gets_their_defaults() -> None:
    older = {k: v for k, v in chat_box.defaults().items() if not k.startswith("show_")}
    config, problems = chat_box.repair(older)
    assert problems == {}
    assert (config["show_paid_messages"], config["show_notices"]) == (True, False)
    config, problems = chat_box.repair({"show_paid_messages": "yes", "show_notices": True})
    assert config["show_paid_messages"] is True and config["show_notices"] is True
    assert set(problems) == {"show_paid_messages"}
    labels = {f.key: f.label for f in chat_box.FIELDS}
    assert labels["show_paid_messages"] == "Show Super Chats and Super Stickers"
    assert labels["show_notices"] == "Show platform notices (subs, gifts, raids) in chat"
