"""The Dashboard's "running now" strip: an ad break's countdown, the poll, the prediction and the
hype train on the streamer's channel, each readable at a glance, each gone when it is over.

An ad break is a tinted strip across the page ("Ad break — 1:23 left") with a thin bar; the poll,
the prediction, the hype train and the stream's reactions (Facebook's, running totals by type
with the last second's burst) are small cards side by side, each choice or outcome with its
numbers, its share and a bar (a prediction's in its Twitch colour). A poll's result stays, the
winner marked, until the next poll starts; a prediction stays locked, resolved or canceled until
the next one. Nothing running: nothing shown. With more than one account, each item names its
channel. Countdowns tick with a timer that runs only while one is on screen, waking when the
shown second changes.

The bars take no keyboard focus (the page's Tab order is unchanged); each has an accessible
name with its numbers ("Yes: 36%, 12 votes"), which is what a screen reader reads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Generic, TypeVar

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.stream.channel_activity import (
    AdBreakState,
    HypeTrainState,
    PollState,
    PredictionState,
    ReactionsState,
)
from streampai_desktop.ui.formatting import (
    format_countdown,
    format_percent,
    plural,
    reaction_name,
    reactions_line,
)
from streampai_desktop.ui.pages.common import Card, label, restyle
from streampai_desktop.ui.viewmodels.channel_activity import ChannelActivityModel, RunningActivity

MAX_COLUMNS = 3  # a channel's poll, prediction and hype train side by side, when there is room
PANEL_WIDTH = 290  # below this a panel's header and numbers crowd: fewer panels to a row
POLL_COLOR = "#9146ff"  # Twitch's purple: ≥ 3:1 on the light and the dark card alike
HYPE_TRAIN_COLOR = "#ea580c"
REACTIONS_COLOR = "#1877f2"  # Facebook's blue
# Twitch's prediction colours, by the outcome's ``color``; an unknown one gets the poll's.
OUTCOME_COLORS = {"blue": "#387aff", "pink": "#f5009b"}
TRAIN_NAMES = {"golden_kappa": "Golden Kappa Train", "treasure": "Treasure Train"}
TRACK = "rgba(128, 128, 128, 0.28)"  # a bar's empty part, on light and dark cards

SHEET = """
QLabel#activityKind {
    color: palette(placeholder-text);
    font-size: 11px;
    font-weight: 700;
    letter-spacing: 1px;
}
QLabel#activityTitle { font-size: 14px; font-weight: 600; }
QLabel#activityShare { font-weight: 700; }
QLabel#activityWinner { font-weight: 700; }
QLabel#trainLevel { font-size: 20px; font-weight: 700; }
QFrame#adBreak {
    background: rgba(245, 158, 11, 0.16);
    border: 1px solid rgba(245, 158, 11, 0.65);
    border-radius: 6px;
}
QLabel#adBreakText { font-size: 14px; font-weight: 700; }
"""


class ShareBar(QProgressBar):
    """A thin bar for a share (0-100 %) in ``color``; its accessible name carries the numbers."""

    def __init__(self, color: str, height: int = 6) -> None:
        super().__init__()
        self.setRange(0, 1000)
        self.setTextVisible(False)
        self.setFixedHeight(height)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._height = height
        self._color = ""
        self.set_color(color)

    def set_color(self, color: str) -> None:
        if color == self._color:
            return
        self._color = color
        radius = self._height // 2
        self.setStyleSheet(
            f"QProgressBar {{ background: {TRACK}; border: none; border-radius: {radius}px; }}"
            f"QProgressBar::chunk {{ background: {color}; border-radius: {radius}px; }}"
        )

    @property
    def color(self) -> str:
        return self._color

    def set_share(self, percent: float, name: str) -> None:
        self.setValue(round(max(0.0, min(100.0, percent)) * 10))
        self.setAccessibleName(name)


def time_left(
    deadline: datetime | None, now: datetime, *, soon: str, words: str = "{} left"
) -> str:
    """``1:23 left`` until ``deadline``; ``soon`` once it passed (the platform's word is due)."""
    if deadline is None:
        return ""
    seconds = (deadline - now).total_seconds()
    return words.format(format_countdown(seconds)) if seconds > 0 else soon


class ShareRow(QWidget):
    """One poll choice or prediction outcome: its name, its numbers, its share and a bar. Once
    there is a result the winner's name gets a tick and bold type and the others' bars fade,
    so it stands out without relying on colour alone."""

    def __init__(self, color: str) -> None:
        super().__init__()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        top = QHBoxLayout()
        top.setSpacing(8)
        self.title = label("", "shareTitle", wrap=True)
        self.counts = label("", "muted")
        self.share = label("", "activityShare")
        self.share.setMinimumWidth(38)
        self.share.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.title, 1)
        top.addWidget(self.counts)
        top.addWidget(self.share)
        column.addLayout(top)
        self.bar = ShareBar(color)
        column.addWidget(self.bar)
        self.won: bool | None = None

    def show_share(
        self, title: str, counts: str, percent: float, *, color: str, won: bool | None = None
    ) -> None:
        """``won``: None while there is no result yet, else whether this one won."""
        self.won = won
        self.title.setText(f"\N{CHECK MARK} {title}" if won else title)
        restyle(self.title, "activityWinner" if won else "shareTitle")
        self.counts.setText(counts)
        self.share.setText(format_percent(percent))
        self.bar.set_color(faded(color) if won is False else color)
        winner = ", the winner" if won else ""
        self.bar.set_share(percent, f"{title}{winner}: {format_percent(percent)}, {counts}")


def faded(color: str) -> str:
    """``color`` at half strength, for the bars that did not win."""
    rgb = QColor(color)
    return f"rgba({rgb.red()}, {rgb.green()}, {rgb.blue()}, 0.4)"


class ActivityPanel(Card):
    """A small card: what it is, its state on the right, whose channel, the title, rows."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        # The card lays out as many panels to a row as fit; never let one widen the page.
        self.setMinimumWidth(PANEL_WIDTH * 2 // 3)
        self.layout_.setSpacing(6)
        head = QHBoxLayout()
        head.setSpacing(8)
        self.kind = label(kind.upper(), "activityKind")
        self.status = label("", "muted")
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.kind)
        head.addStretch(1)
        head.addWidget(self.status)
        self.layout_.addLayout(head)
        self.channel = label("", "muted", wrap=True)
        self.channel.hide()
        self.layout_.addWidget(self.channel)
        self.title = label("", "activityTitle", wrap=True)
        self.layout_.addWidget(self.title)
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(8)
        self.layout_.addLayout(self.rows_box)
        self.rows: list[ShareRow] = []
        self.layout_.addStretch(1)

    def set_channel(self, channel: str) -> None:
        self.channel.setText(channel)
        self.channel.setVisible(bool(channel))

    def set_row_count(self, count: int, color: str) -> list[ShareRow]:
        """``count`` rows (kept while the count is the same: a vote only changes numbers)."""
        while len(self.rows) > count:
            row = self.rows.pop()
            self.rows_box.removeWidget(row)
            row.deleteLater()
        while len(self.rows) < count:
            row = ShareRow(color)
            self.rows_box.addWidget(row)
            self.rows.append(row)
        return self.rows


def _leaders(votes: Sequence[int]) -> set[int]:
    """The indexes with the most votes (a tie marks each); none when nobody voted."""
    best = max(votes, default=0)
    return {i for i, v in enumerate(votes) if v == best} if best > 0 else set()


class PollPanel(ActivityPanel):
    """The poll: each choice's votes and share; after it ends, the result with the winner."""

    def __init__(self) -> None:
        super().__init__("Poll")

    def show_state(self, poll: PollState, now: datetime) -> None:
        data = poll.to_json()  # the shares, as the overlays get them
        total = plural(int(data["total_votes"]), "vote")
        ended = poll.status != "open"
        if not ended:
            left = time_left(poll.ends_at, now, soon="ending…")
            self.status.setText(f"{total} · {left}" if left else total)
        else:
            how = "Ended" if poll.status == "completed" else "Ended early"
            self.status.setText(f"{how} · {total}")
        self.title.setText(poll.title)
        rows = self.set_row_count(len(data["choices"]), POLL_COLOR)
        won = _leaders([c["votes"] for c in data["choices"]]) if ended else set()
        for index, (row, choice) in enumerate(zip(rows, data["choices"], strict=True)):
            row.show_share(
                choice["title"],
                plural(choice["votes"], "vote"),
                choice["percent"],
                color=POLL_COLOR,
                won=(index in won) if ended and won else None,
            )


def outcome_color(color: str) -> str:
    return OUTCOME_COLORS.get(color.lower(), POLL_COLOR)


class PredictionPanel(ActivityPanel):
    """The prediction: each outcome's points, people and share in its colour, and where it is
    (open until it locks, locked, resolved with the winner, canceled)."""

    def __init__(self) -> None:
        super().__init__("Prediction")

    def show_state(self, prediction: PredictionState, now: datetime) -> None:
        data = prediction.to_json()
        status = prediction.status
        if status == "open":
            locks = time_left(prediction.locks_at, now, soon="Locking…", words="Locks in {}")
            text = locks or "Open"
        elif status == "locked":
            text = "Locked · waiting for the result"
        elif status == "resolved":
            text = f"{data['winning_outcome']} won" if data["winning_outcome"] else "Resolved"
        else:
            text = "Canceled · points returned"
        self.status.setText(text)
        self.title.setText(prediction.title)
        rows = self.set_row_count(len(data["outcomes"]), POLL_COLOR)
        resolved = status == "resolved" and prediction.winning_outcome_id is not None
        for row, outcome in zip(rows, data["outcomes"], strict=True):
            counts = (
                f"{plural(outcome['points'], 'point')} · "
                f"{plural(outcome['users'], 'person', 'people')}"
            )
            row.show_share(
                outcome["title"],
                counts,
                outcome["percent"],
                color=outcome_color(outcome["color"]),
                won=outcome["id"] == prediction.winning_outcome_id if resolved else None,
            )


class HypeTrainPanel(ActivityPanel):
    """The hype train: its level, the points toward the next one as a bar, the time left, and
    the channels it is shared with."""

    def __init__(self) -> None:
        super().__init__("Hype Train")
        self.title.hide()
        self.rows_box.setSpacing(4)
        self.level = label("", "trainLevel")
        self.rows_box.addWidget(self.level)
        self.bar = ShareBar(HYPE_TRAIN_COLOR, height=8)
        self.rows_box.addWidget(self.bar)
        self.progress = label("", wrap=True)
        self.rows_box.addWidget(self.progress)
        self.shared = label("", "muted", wrap=True)
        self.rows_box.addWidget(self.shared)

    def show_state(self, train: HypeTrainState, now: datetime) -> None:
        data = train.to_json()
        self.kind.setText(TRAIN_NAMES.get(train.train_type, "Hype Train").upper())
        self.status.setText(time_left(train.ends_at, now, soon="ending…"))
        self.level.setText(f"Level {train.level}")
        points = f"{train.progress:,} of {plural(train.goal, 'point')}"
        self.progress.setText(f"{points} to level {train.level + 1}")
        self.bar.set_share(
            data["percent"],
            f"Hype train level {train.level}: {points} to level {train.level + 1}, "
            f"{format_percent(data['percent'])}",
        )
        shared = ", ".join(train.shared_with)
        self.shared.setText(f"Shared with {shared}" if train.shared and shared else "")
        self.shared.setVisible(bool(self.shared.text()))


class ReactionsPanel(ActivityPanel):
    """The stream's reactions: the total, each type's running total and share (the most given
    first), and what came in the last second with reactions."""

    def __init__(self) -> None:
        super().__init__("Reactions")

    def show_state(self, reactions: ReactionsState, now: datetime) -> None:
        total = sum(c.count for c in reactions.totals)
        self.title.setText(plural(total, "reaction"))
        burst = reactions_line(reactions.last_second) if reactions.last_second else ""
        self.status.setText(f"Last: +{burst}" if burst else "")
        self.status.setToolTip("The last second with reactions in it")
        rows = self.set_row_count(len(reactions.totals), REACTIONS_COLOR)
        for row, count in zip(rows, reactions.totals, strict=True):
            row.show_share(
                reaction_name(count.type),
                f"{count.count:,}",
                100.0 * count.count / total if total else 0.0,
                color=REACTIONS_COLOR,
            )


class AdBreakStrip(QFrame):
    """ "Ad break — 1:23 left" across the page, with a thin bar that fills as the ads play."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("adBreak")
        column = QVBoxLayout(self)
        column.setContentsMargins(14, 8, 14, 10)
        column.setSpacing(6)
        top = QHBoxLayout()
        top.setSpacing(10)
        self.text = label("", "adBreakText")
        self.detail = label("", "muted")
        top.addWidget(self.text)
        top.addWidget(self.detail)
        top.addStretch(1)
        column.addLayout(top)
        self.bar = ShareBar("palette(window-text)", height=4)
        column.addWidget(self.bar)

    def show_state(self, ad: AdBreakState, channel: str, now: datetime) -> None:
        left = format_countdown((ad.ends_at - now).total_seconds())
        self.text.setText(f"Ad break \N{EM DASH} {left} left")
        parts = [p for p in ("Automatic" if ad.automatic else "", channel) if p]
        self.detail.setText(" · ".join(parts))
        self.detail.setVisible(bool(parts))
        played = (now - ad.started_at).total_seconds()
        percent = 100.0 * played / ad.duration_s if ad.duration_s > 0 else 100.0
        self.bar.set_share(percent, f"Ad break: {left} left of {format_countdown(ad.duration_s)}")


Panel = TypeVar("Panel", PollPanel, PredictionPanel, HypeTrainPanel, ReactionsPanel)


class _Panels(Generic[Panel]):
    """One kind of panel per channel, kept while the channel shows that kind."""

    def __init__(self, make: Callable[[], Panel]) -> None:
        self.make: Callable[[], Panel] = make
        self.by_account: dict[str, Panel] = {}

    def get(self, account_id: str) -> Panel:
        panel = self.by_account.get(account_id)
        if panel is None:
            panel = self.by_account[account_id] = self.make()
        return panel


class ChannelActivityCard(QWidget):
    """What runs on the streamer's channels now; hidden while nothing does."""

    def __init__(
        self, model: ChannelActivityModel, clock: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__()
        self.hide()  # until :meth:`refresh` finds something running (and it has a page)
        self.model = model
        self._clock = clock or (lambda: datetime.now(UTC))
        self.setStyleSheet(SHEET)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(10)
        self.ads_box = QVBoxLayout()
        self.ads_box.setSpacing(6)
        column.addLayout(self.ads_box)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(12)
        column.addLayout(self.grid)
        self.ads: dict[str, AdBreakStrip] = {}
        self.polls = _Panels(PollPanel)
        self.predictions = _Panels(PredictionPanel)
        self.trains = _Panels(HypeTrainPanel)
        self.reactions = _Panels(ReactionsPanel)
        self._rows: list[list[ActivityPanel]] = []  # the panels as laid out, a list per channel
        self._columns = MAX_COLUMNS
        # Wakes when a shown countdown's second changes; runs only while one is shown.
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.refresh)
        model.changed.connect(self.refresh)

    # --- what shows -------------------------------------------------------------------------------

    def refresh(self) -> None:
        now = self._clock()
        ads: dict[str, AdBreakStrip] = {}
        rows: list[list[ActivityPanel]] = []  # each channel's panels, a channel to a row
        deadlines: list[datetime] = []
        for item in self.model.running(now):
            strip, panels = self._show_channel(item, now, deadlines)
            if strip is not None:
                ads[item.account_id] = strip
            if panels:
                rows.append(panels)
        self._place_ads(ads)
        self._place_panels(rows)
        if not self.isWindow():  # a card on its own would open as a window: only on a page
            self.setVisible(bool(ads or rows))
        self._schedule(deadlines, now)

    def _show_channel(
        self, item: RunningActivity, now: datetime, deadlines: list[datetime]
    ) -> tuple[AdBreakStrip | None, list[ActivityPanel]]:
        """Show one channel's ad break and panels (adding their countdowns to ``deadlines``)."""
        activity = item.activity.expired(now)
        account_id = item.account_id
        strip: AdBreakStrip | None = None
        panels: list[ActivityPanel] = []
        if (ad := activity.ad_break) is not None:
            strip = self.ads.get(account_id) or AdBreakStrip()
            strip.show_state(ad, item.channel, now)
            deadlines.append(ad.ends_at)
        if (poll := activity.poll) is not None:
            poll_panel = self.polls.get(account_id)
            poll_panel.show_state(poll, now)
            panels.append(poll_panel)
            if poll.status == "open" and poll.ends_at is not None:
                deadlines.append(poll.ends_at)
        if (prediction := activity.prediction) is not None:
            prediction_panel = self.predictions.get(account_id)
            prediction_panel.show_state(prediction, now)
            panels.append(prediction_panel)
            if prediction.status == "open" and prediction.locks_at is not None:
                deadlines.append(prediction.locks_at)
        if (train := activity.hype_train) is not None:
            train_panel = self.trains.get(account_id)
            train_panel.show_state(train, now)
            panels.append(train_panel)
            if train.ends_at is not None:
                deadlines.append(train.ends_at)
        if (reactions := activity.reactions) is not None:
            reactions_panel = self.reactions.get(account_id)
            reactions_panel.show_state(reactions, now)
            panels.append(reactions_panel)
        for panel in panels:
            panel.set_channel(item.channel)
        return strip, panels

    def _place_ads(self, ads: dict[str, AdBreakStrip]) -> None:
        for account_id, strip in list(self.ads.items()):
            if ads.get(account_id) is not strip:
                self.ads_box.removeWidget(strip)
                strip.deleteLater()
        for strip in ads.values():
            if self.ads_box.indexOf(strip) < 0:
                self.ads_box.addWidget(strip)
                strip.show()
        self.ads = ads

    def _place_panels(self, rows: list[list[ActivityPanel]]) -> None:
        """Lay the panels out; drop the ones that ended."""
        kept = {panel for row in rows for panel in row}
        for group in (self.polls, self.predictions, self.trains, self.reactions):
            for account_id, ended in list(group.by_account.items()):
                if ended not in kept:
                    del group.by_account[account_id]
                    self.grid.removeWidget(ended)
                    ended.deleteLater()
        if rows != self._rows:
            self._lay_out(rows)

    def _lay_out(self, rows: list[list[ActivityPanel]]) -> None:
        """Each channel's panels from the start of a row, as many to a row as fit."""
        for row in self._rows:
            for shown in row:
                if self.grid.indexOf(shown) >= 0:
                    self.grid.removeWidget(shown)
        columns, top = self._columns, 0
        for panels in rows:
            for index, panel in enumerate(panels):
                self.grid.addWidget(panel, top + index // columns, index % columns)
                panel.show()
            top += math.ceil(len(panels) / columns)
        used = min(columns, max((len(panels) for panels in rows), default=0))
        for column in range(MAX_COLUMNS):
            self.grid.setColumnStretch(column, 1 if column < used else 0)
        self._rows = rows

    def resizeEvent(self, event: QResizeEvent) -> None:
        """As many panels to a row as fit :data:`PANEL_WIDTH` (a narrow window: two, one)."""
        super().resizeEvent(event)
        columns = max(1, min(MAX_COLUMNS, (event.size().width() + 12) // (PANEL_WIDTH + 12)))
        if columns != self._columns:
            self._columns = columns
            self._lay_out([list(row) for row in self._rows])

    # --- the countdowns ---------------------------------------------------------------------------

    def _schedule(self, deadlines: list[datetime], now: datetime) -> None:
        """Wake when the soonest countdown on screen shows its next second (they round up, so
        "1:23" turns "1:22" when the time left reaches a whole 82 s); stop when none runs."""
        lefts = [(d - now).total_seconds() for d in deadlines if d > now]
        if not lefts:
            self.timer.stop()
            return
        wait = min((left - math.floor(left)) or 1.0 for left in lefts)
        self.timer.start(int(wait * 1000) + 15)
