"""The Dashboard's chat: every platform's messages drawn like the Chat Box overlay (names in their
colours, badges, emotes as images), newest at the bottom, and the box to send one."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from functools import cache
from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QGuiApplication,
    QHelpEvent,
    QImage,
    QPainter,
    QPalette,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QTextBrowser, QToolTip

from streampai_desktop.core.events import ChatMessage, Event
from streampai_desktop.platforms.base import ChatNotSent
from streampai_desktop.resources import resource_path
from streampai_desktop.ui.pages.chat_html import (
    EMOTE_PX,
    EMOTE_SCHEME,
    ICON_PX,
    ICON_SCHEME,
    ChatLook,
    message_html,
)
from streampai_desktop.ui.pages.common import Card, StatusLine
from streampai_desktop.ui.theme import control_colors
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.ui.viewmodels.emotes import EmoteImages

LIMIT = 200  # messages kept on screen; older ones are on the Events page
STICK_PX = 4  # this close to the bottom counts as "reading the newest": follow new messages


@cache
def icon_image(name: str, px: int, ratio: float) -> QImage:
    """A bundled chat icon (resources/icons/chat/{name}.svg) drawn sharp at ``px`` logical
    pixels on a screen of device pixel ``ratio``."""
    side = max(1, round(px * ratio))
    image = QImage(QSize(side, side), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(str(resource_path("icons", "chat", f"{name}.svg")))
    painter = QPainter(image)
    try:
        renderer.render(painter, QRectF(0, 0, side, side))
    finally:
        painter.end()
    image.setDevicePixelRatio(ratio)
    return image


class ChatView(QTextBrowser):
    """The newest ``limit`` chat messages as rich text, oldest on top; skips ones it already
    shows (the history and the live feed overlap)."""

    def __init__(self, emotes: EmoteImages, limit: int = LIMIT, placeholder: str = "") -> None:
        super().__init__()
        self.setObjectName("chatView")
        self.setAccessibleName("Chat")
        self.setOpenLinks(False)
        self.setUndoRedoEnabled(False)
        self.setPlaceholderText(placeholder)
        self.limit = limit
        self.emotes = emotes
        self.messages: deque[ChatMessage] = deque()
        self._keys: set[tuple[str, str]] = set()
        self._block = QTextBlockFormat()
        self._block.setBottomMargin(4)
        self._stick = True  # follow new messages while the streamer reads the newest
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(0)
        self._redraw.timeout.connect(self.redraw)
        emotes.ready.connect(self._redraw.start)
        self._restyle()

    # --- messages -------------------------------------------------------------------------------

    def add_live(self, events: Sequence[Event]) -> None:
        """Newly arrived events, oldest first: chat messages go at the bottom."""
        fresh = [
            e for e in events if isinstance(e, ChatMessage) and e.dedupe_key not in self._keys
        ][-self.limit :]
        if not fresh:
            return
        for message in fresh:
            self.messages.append(message)
            self._keys.add(message.dedupe_key)
            self._append(message)
        while len(self.messages) > self.limit:
            self._keys.discard(self.messages.popleft().dedupe_key)
            self._drop_first()

    def add_history(self, events: Sequence[Event]) -> None:
        """Older events, newest first: chat messages go above, while there is room."""
        older = [e for e in events if isinstance(e, ChatMessage) and e.dedupe_key not in self._keys]
        room = self.limit - len(self.messages)
        if not older or room <= 0:
            return
        for message in older[:room]:
            self.messages.appendleft(message)
            self._keys.add(message.dedupe_key)
        self.redraw()

    def redraw(self) -> None:
        """Draw every message again (an emote image arrived, the theme changed)."""
        bar = self.verticalScrollBar()
        stick, value = self._stick, bar.value()
        self.document().clear()
        for message in self.messages:
            self._append(message)
        if not stick:
            bar.setValue(value)

    def _look(self) -> ChatLook:
        # The application's palette: this view's own is see-through (it sits on its card).
        palette = QGuiApplication.palette()
        return ChatLook(
            background=palette.color(QPalette.ColorRole.Base),
            muted=palette.color(QPalette.ColorRole.PlaceholderText),
        )

    def _append(self, message: ChatMessage) -> None:
        document = self.document()
        cursor = QTextCursor(document)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if not document.isEmpty():
            cursor.insertBlock(self._block)
        cursor.insertHtml(message_html(message, self._look(), self._emote_size))
        cursor.setBlockFormat(self._block)  # inserting HTML into an empty document resets it

    def _drop_first(self) -> None:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.Start)
        cursor.movePosition(QTextCursor.MoveOperation.NextBlock, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()

    def _emote_size(self, platform: str, emote_id: str) -> tuple[int, int] | None:
        return self.emotes.size(platform, emote_id, EMOTE_PX)

    # --- images, tooltips, scrolling ------------------------------------------------------------

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        """Images for ``<img>``: emotes from the emote cache, icons from the bundled SVGs."""
        if kind == QTextDocument.ResourceType.ImageResource.value:
            url = QUrl(name)
            scheme, path = url.scheme(), url.path()
            if scheme == EMOTE_SCHEME and "/" in path:
                platform, emote_id = path.split("/", 1)
                return self.emotes.image(platform, emote_id)
            if scheme == ICON_SCHEME:
                return icon_image(path, ICON_PX, self.devicePixelRatioF())
        return None  # never a file or a network address a message could name

    def viewportEvent(self, event: QEvent) -> bool:
        # A badge's or an emote's name (its ``title``) as a tooltip, as in a browser.
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self._tooltip_at(event)
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def _tooltip_at(self, event: QHelpEvent) -> str:
        at = QPointF(
            event.pos().x() + self.horizontalScrollBar().value(),
            event.pos().y() + self.verticalScrollBar().value(),
        )
        position = self.document().documentLayout().hitTest(at, Qt.HitTestAccuracy.ExactHit)
        if position < 0:
            return ""
        cursor = QTextCursor(self.document())
        cursor.setPosition(position + 1)
        return cursor.charFormat().toolTip()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
            self._redraw.start()  # name colours are chosen against the background

    def _restyle(self) -> None:
        """No box of its own, like the events list beside it, but the focus ring of the theme
        (re-styling sends another palette change: only when it differs)."""
        focus = control_colors(QGuiApplication.palette()).focus
        new = (
            "QTextBrowser#chatView { background: transparent; border: 2px solid transparent; "
            "border-radius: 6px; padding: 0; }\n"
            f"QTextBrowser#chatView:focus {{ border-color: {focus}; }}"
        )
        if new != self.styleSheet():
            self.setStyleSheet(new)

    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick = value >= bar.maximum() - STICK_PX

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._stick:
            self.verticalScrollBar().setValue(maximum)


class ChatCard(Card):
    """The chat, and the box that sends to every connected channel."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__("Chat")
        self.vm = vm
        self.emotes = EmoteImages(vm.app.emotes, vm.spawn, self)
        self.view = ChatView(self.emotes, placeholder="Chat from every platform shows up here.")
        self.view.setMinimumHeight(230)
        self.layout_.addWidget(self.view, 1)
        send_row = QHBoxLayout()
        self.input = QLineEdit()
        self.input.setObjectName("chatInput")
        self.input.setAccessibleName("Chat message")
        self.input.returnPressed.connect(self.send)
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self.send)
        send_row.addWidget(self.input, 1)
        send_row.addWidget(self.send_button)
        self.layout_.addLayout(send_row)
        self.status = StatusLine()
        self.layout_.addWidget(self.status)
        self._sending = False
        vm.streams.states_changed.connect(self.update_state)
        vm.streams.accounts_changed.connect(self.update_state)
        self.update_state()

    def update_state(self) -> None:
        streams = self.vm.streams
        can_chat = streams.can_chat
        # The connected platforms' own limit (from their specs), set again as they change.
        self.input.setMaxLength(streams.chat_limit())
        self.input.setEnabled(can_chat and not self._sending)
        self.send_button.setEnabled(can_chat and not self._sending)
        self.input.setPlaceholderText(
            "Send a message to your chat…"
            if can_chat
            else "Connect a channel on the Platforms page to chat from here"
            if not streams.accounts
            else "Your channel is not connected right now"
        )

    def send(self) -> None:
        text = self.input.text().strip()
        if not text or self._sending:
            return
        self.vm.spawn(self._send(text), "send chat")

    async def _send(self, text: str) -> None:
        self._sending = True
        self.send_button.setEnabled(False)
        self.status.busy("Sending…")
        try:
            await self.vm.streams.send_chat(text)
        except ChatNotSent as exc:
            self.status.error(str(exc))
        else:
            self.status.clear()
            if self.input.text().strip() == text:
                self.input.clear()
        finally:
            self._sending = False
            self.update_state()
