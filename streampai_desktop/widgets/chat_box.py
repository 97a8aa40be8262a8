"""Chat Box: one stream of chat from every platform; filtering happens in the page, per instance,
so two chat boxes with different settings can show the same chat differently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streampai_desktop.core.bus import TOPIC_CHAT
from streampai_desktop.core.events import ChatMessage
from streampai_desktop.widgets.schema import (
    FONTS,
    Field,
    Sections,
    defaults_of,
    validate_fields,
)
from streampai_desktop.widgets.spec import WidgetSpec

THEMES = ("clean", "boxed", "platform")
DEFAULT_BOTS = ["nightbot", "streamelements", "streamlabs", "moobot", "fossabot", "wizebot"]

FIELDS = (
    Field(
        "theme",
        "Theme",
        "choice",
        "boxed",
        choices=THEMES,
        choice_labels=("Clean (text only)", "Boxed", "Platform colours"),
    ),
    Field("font_family", "Font", "choice", "Inter", choices=FONTS),
    Field("font_size", "Font size", "int", 20, 10, 64, suffix="px"),
    Field("text_color", "Text colour", "color", "#ffffff"),
    Field("background_color", "Background", "color", "transparent", choices=("transparent",)),
    Field("message_background", "Message background", "color_alpha", "#000000a0"),
    Field(
        "lifetime_s",
        "Fade messages out after",
        "int",
        0,
        0,
        600,
        suffix="s",
        help="0 keeps messages until newer ones push them out.",
    ),
    Field("max_messages", "Messages on screen", "int", 20, 1, 200),
    Field("hide_commands", "Hide commands (!…)", "bool", True),
    Field("hidden_bots", "Hidden bots", "logins", DEFAULT_BOTS),
    Field("muted_users", "Muted users", "logins", []),
    Field("show_badges", "Show badges", "bool", True),
    Field("show_platform_icons", "Show platform icons", "bool", True),
    Field(
        "message_delay_ms",
        "Message delay",
        "int",
        0,
        0,
        60000,
        suffix="ms",
        display="seconds",
        help="Hold messages so moderators can delete them before they show.",
    ),
    Field("highlight_mentions", "Highlight mentions", "bool", True),
    Field(
        "show_paid_messages",
        "Show Super Chats and Super Stickers",
        "bool",
        True,
        help="In YouTube's colours for the amount, as YouTube's own chat shows them.",
    ),
    Field(
        "show_notices",
        "Show platform notices (subs, gifts, raids) in chat",
        "bool",
        False,
        help="The lines the platform itself puts in chat, such as Twitch's sub and raid "
        "notices and YouTube's jewel gifts.",
    ),
)


SECTIONS: Sections = (
    (
        "Look",
        (
            "theme",
            "font_family",
            "font_size",
            "text_color",
            "background_color",
            "message_background",
            "show_badges",
            "show_platform_icons",
            "highlight_mentions",
        ),
    ),
    (
        "Messages",
        (
            "max_messages",
            "lifetime_s",
            "message_delay_ms",
            "hide_commands",
            "hidden_bots",
            "muted_users",
            "show_paid_messages",
            "show_notices",
        ),
    ),
)


def defaults() -> dict[str, Any]:
    return defaults_of(FIELDS)


def repair(config: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """(usable config, problems): bad values replaced by their defaults."""
    if not isinstance(config, Mapping):
        return defaults(), {"": "the chat box config must be an object"}
    return validate_fields(FIELDS, config)


SPEC = WidgetSpec(
    type="chat_box",
    title="Chat Box",
    description="Chat from every connected platform in one box.",
    topics=(TOPIC_CHAT,),
    defaults=defaults(),
    repair=repair,
    fields=FIELDS,
    sections=SECTIONS,
    test_events=((ChatMessage.kind, "Test chat message"),),
    test_note=(
        "In the preview: a fake chat message shows in the preview page in your browser only, "
        "with the settings you are editing. On stream: it goes through the local API and every "
        "open Chat Box shows it, OBS included, with the saved settings."
    ),
    test_sent="Sent a test chat message.",
    preview_interval=1.5,
    obs_size=(400, 600),  # a column beside the game, newest message at the bottom
)
