"""A chat message as rich text for the Dashboard, drawn like the Chat Box overlay
(overlays/src/chat_box/chat.js): the platform's icon, the user's badges, the name in its colour,
emotes as images.

User content only ever enters as escaped text: names, words, badge names and emote names pass
through :func:`html.escape`, and an image's source is built from checked ids alone (the emote id
must match :data:`EMOTE_ID`, the platform must be a known one), never from the message. A message
reading ``<img src=x onerror=alert(1)>`` shows those characters.

Name colours are the platform's (``#rrggbb``), else one of the overlay's palette chosen from the
user id; either is moved in lightness until it reads on the chat's background (WCAG AA, 4.5:1),
so a black name stays readable in the dark theme and a yellow one in the light.
"""

from __future__ import annotations

import html
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QColor

from streampai_desktop.core.events import ChatMessage, Platform
from streampai_desktop.platforms.registry import platform_label
from streampai_desktop.resources import resource_path
from streampai_desktop.server.emotes import EMOTE_ID
from streampai_desktop.ui.theme import contrast
from streampai_desktop.ui.viewmodels.event_table import format_when

HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
MIN_CONTRAST = 4.5  # WCAG AA for text
ICON_PX = 16  # platform icons and badges
EMOTE_PX = 24  # an emote's height; its width follows the image
MAX_BADGES = 8
EMOTE_SCHEME = "emote"  # emote:{platform}/{id}, loaded by the view from the emote cache
ICON_SCHEME = "icon"  # icon:{name}, a bundled SVG in resources/icons/chat

# The overlay's palette for names without a colour (chat.js NAME_PALETTE), in the same order so a
# viewer has the same colour in OBS and here.
NAME_PALETTE = (
    "#ff6b6b",
    "#4dabf7",
    "#69db7c",
    "#ffa94d",
    "#da77f2",
    "#3bc9db",
    "#ffd43b",
    "#f783ac",
    "#9775fa",
    "#a9e34b",
    "#ff8787",
    "#38d9a9",
)
BADGE_ICONS = frozenset(
    {"broadcaster", "moderator", "vip", "subscriber", "founder", "verified", "partner"}
)
# Other names the platforms use for the same roles (icons.js BADGE_ALIASES); None: a text chip.
BADGE_ALIASES: dict[str, str | None] = {
    "owner": "broadcaster",
    "host": "broadcaster",
    "mod": "moderator",
    "member": "subscriber",
    "sponsor": "subscriber",
    "og": "founder",
}
BITS_TIERS = ((10000, "#f43021"), (5000, "#0099fe"), (1000, "#1db2a5"), (100, "#9c3ee8"))
BITS_BASE = "#979797"


def _hash(text: str) -> int:
    """chat.js's ``hash``: a Java-style string hash over UTF-16 code units (what JavaScript's
    ``charCodeAt`` reads) in 32-bit signed arithmetic, made positive."""
    h = 0
    for (unit,) in struct.iter_unpack("<H", text.encode("utf-16-le")):
        h = (h * 31 + unit) & 0xFFFFFFFF
    if h >= 0x80000000:
        h -= 0x100000000
    return abs(h)


def name_color(color: str | None, seed: str) -> QColor:
    """The user's colour when it is a plain ``#rrggbb``, else a stable palette colour."""
    if color and HEX_COLOR.fullmatch(color):
        return QColor(color)
    return QColor(NAME_PALETTE[_hash(seed) % len(NAME_PALETTE)])


def readable(color: QColor, background: QColor, minimum: float = MIN_CONTRAST) -> QColor:
    """``color`` with its lightness moved (hue and saturation kept) until it has ``minimum``
    contrast against ``background``: lighter on a dark background, darker on a light one."""
    if contrast(color, background) >= minimum:
        return color
    lighten = background.lightnessF() < 0.5
    hue, saturation, lightness = color.hslHueF(), color.hslSaturationF(), color.lightnessF()
    for step in range(1, 51):
        lightness = min(1.0, lightness + 0.02) if lighten else max(0.0, lightness - 0.02)
        candidate = QColor.fromHslF(max(hue, 0.0), saturation, lightness)
        if contrast(candidate, background) >= minimum or step == 50:
            return candidate
    return color  # pragma: no cover - the loop always returns


def badge_icon(set_id: str) -> str | None:
    """The bundled icon for a badge set id (``moderator``, ``mod``…), or None for a text chip."""
    key = set_id.lower()
    if key in BADGE_ICONS:
        return key
    return BADGE_ALIASES.get(key)


def bits_color(bits: int) -> str:
    return next((color for least, color in BITS_TIERS if bits >= least), BITS_BASE)


def icon_exists(name: str) -> bool:
    return resource_path("icons", "chat", f"{name}.svg").is_file()


@dataclass(frozen=True, slots=True)
class ChatLook:
    """The colours a message is drawn against (from the view's palette)."""

    background: QColor
    muted: QColor


# (platform, emote id) → the emote's (width, height) when its image is loaded, else None (the
# view asks the emote cache for it and draws the emote's name meanwhile).
EmoteSize = Callable[[str, str], tuple[int, int] | None]


def _img(src: str, width: int, height: int, title: str) -> str:
    return (
        f'<img src="{src}" width="{width}" height="{height}" title="{html.escape(title)}" '
        'style="vertical-align: middle">'
    )


def _chip(text: str, look: ChatLook, title: str = "") -> str:
    tip = f' title="{html.escape(title)}"' if title else ""
    return (
        f'<span style="color: {look.muted.name()}; font-size: small; font-weight: 600"{tip}>'
        f"[{html.escape(text)}]</span> "
    )


def _platform(platform: Platform, look: ChatLook) -> str:
    name = f"platform-{platform.value}"
    label = platform_label(platform.value)
    if icon_exists(name):
        return _img(f"{ICON_SCHEME}:{name}", ICON_PX, ICON_PX, label) + "&nbsp;"
    return _chip(label, look)


def _badges(message: ChatMessage, look: ChatLook) -> str:
    out: list[str] = []
    seen: set[str] = set()
    for badge in message.user.badges if message.user else ():
        set_id = badge.set_id.strip()[:32]
        if not set_id or set_id in seen:
            continue
        seen.add(set_id)
        title = set_id.replace("_", " ").replace("-", " ")
        icon = badge_icon(set_id)
        if icon is not None:
            out.append(_img(f"{ICON_SCHEME}:badge-{icon}", ICON_PX, ICON_PX, title) + "&nbsp;")
        else:
            out.append(_chip(title, look))
        if len(seen) >= MAX_BADGES:
            break
    return "".join(out)


def _words(message: ChatMessage, emote_size: EmoteSize) -> str:
    if not any(f.type == "cheermote" for f in message.fragments) and message.bits:
        cheer = f'<b style="color: {bits_color(message.bits)}">◆{message.bits:,}</b> '
    else:
        cheer = ""
    if not message.fragments:
        return cheer + html.escape(message.text)
    parts: list[str] = []
    for fragment in message.fragments:
        text = html.escape(fragment.text)
        emote_id = fragment.emote_id or ""
        if fragment.type == "emote" and EMOTE_ID.fullmatch(emote_id):
            size = emote_size(message.platform.value, emote_id)
            if size is not None:
                src = f"{EMOTE_SCHEME}:{message.platform.value}/{emote_id}"
                parts.append(_img(src, size[0], size[1], fragment.text))
                continue
            parts.append(text)  # until its image is here (or for good, if it has none)
        elif fragment.type == "mention":
            parts.append(f"<b>{text}</b>")
        elif fragment.type == "cheermote" and fragment.bits:
            color = bits_color(fragment.bits)
            parts.append(f'<b>{text}</b><b style="color: {color}">&nbsp;◆{fragment.bits:,}</b>')
        else:
            parts.append(text)
    return cheer + "".join(parts)


def message_html(message: ChatMessage, look: ChatLook, emote_size: EmoteSize) -> str:
    """One chat line: time, platform icon, badges, the coloured name, the words and emotes."""
    user = message.user
    seed = (user.id or user.login) if user else ""
    color = readable(name_color(user.color if user else None, seed), look.background)
    test = " · test" if message.test else ""
    return (
        f'<span style="color: {look.muted.name()}; font-size: small">'
        f"{html.escape(format_when(message.at))}"
        f"{test}</span>&nbsp; "
        + _platform(message.platform, look)
        + _badges(message, look)
        + f'<b style="color: {color.name()}">{html.escape(message.actor_name)}</b>: '
        + _words(message, emote_size)
    )
