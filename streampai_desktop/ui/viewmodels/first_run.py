"""The Dashboard's "Get on stream" checklist: from a fresh install to alerts showing in OBS.

Each step ticks itself when the thing it asks for has really happened, never from the click that
asks for it (a click proves nothing about OBS):

- ``copy_url``: the Alert Box URL reached the clipboard (from any Copy button in the app);
- ``add_to_obs``: an Alert Box page connected to the overlay server, i.e. OBS loaded the URL
  (which also proves the URL was copied);
- ``test_alert``: the alert queue put an alert on screen while an Alert Box was open;
- ``connect_channel``: a channel account is connected.

What is done, and whether the streamer closed the list, is kept in the preferences of this
computer (OBS and its sources are per computer, so it is not synced). A list that was finished or
closed stays hidden from the next start on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from streampai_desktop.core.notices import AlertOutcome

if TYPE_CHECKING:
    from streampai_desktop.ui.viewmodels.app_model import AppViewModel

COPY_URL = "copy_url"
ADD_TO_OBS = "add_to_obs"
TEST_ALERT = "test_alert"
CONNECT_CHANNEL = "connect_channel"
STEPS = (COPY_URL, ADD_TO_OBS, TEST_ALERT, CONNECT_CHANNEL)

ALERT_BOX = "alert_box"
DONE_KEY = "get_on_stream_done"
CLOSED_KEY = "get_on_stream_closed"


class GetOnStream(QObject):
    """Which steps are done, which is next, and whether the checklist shows at all."""

    changed = Signal()

    def __init__(self, vm: AppViewModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        settings = vm.app.settings
        self.done: set[str] = set(settings.get(DONE_KEY)) & set(STEPS)
        self.closed = bool(settings.get(CLOSED_KEY))
        # Finished or closed on an earlier run: it stays away. Finished during this run: it
        # stays to say so, until the streamer closes it.
        self.hidden_at_start = self.closed or self.all_done
        vm.presence.changed.connect(self._presence)
        vm.alert_outcomes.outcome.connect(self._outcome)
        vm.streams.accounts_changed.connect(self._accounts)
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.dataChanged.connect(self._clipboard)
        self._presence(vm.presence.counts)
        self._accounts()

    # --- what the card shows --------------------------------------------------------------------

    @property
    def all_done(self) -> bool:
        return self.done >= set(STEPS)

    @property
    def visible(self) -> bool:
        return not self.hidden_at_start and not self.closed

    @property
    def current(self) -> str | None:
        """The first step not done yet (the one to highlight), None when all are."""
        return next((step for step in STEPS if step not in self.done), None)

    def alert_box_url(self) -> str:
        """The first Alert Box's URL (the one the steps are about)."""
        return self.vm.overlay_urls().get(ALERT_BOX, "")

    # --- what ticks the steps -------------------------------------------------------------------

    def _presence(self, counts: dict[str, int]) -> None:
        if counts.get(ALERT_BOX, 0) > 0:
            self.mark(ADD_TO_OBS)

    def _outcome(self, outcome: AlertOutcome) -> None:
        # "shown" is only published once an alert box is open to show it (core/alerts.py).
        if outcome.outcome == "shown":
            self.mark(TEST_ALERT)

    def _accounts(self) -> None:
        if self.vm.streams.accounts:
            self.mark(CONNECT_CHANNEL)

    def _clipboard(self) -> None:
        clipboard = QGuiApplication.clipboard()
        text = clipboard.text().strip() if clipboard is not None else ""
        urls = self.vm.overlay_urls()
        alert_boxes = {url for widget_id, url in urls.items() if self._is_alert_box(widget_id)}
        if text and text in alert_boxes:
            self.mark(COPY_URL)

    def _is_alert_box(self, widget_id: str) -> bool:
        return any(w.id == widget_id and w.type == ALERT_BOX for w in self.vm.widgets())

    # --- changes --------------------------------------------------------------------------------

    def mark(self, step: str) -> None:
        """Tick ``step`` (and what it proves); remembered for the next start."""
        new = {step, COPY_URL} if step == ADD_TO_OBS else {step}
        if new <= self.done:
            return
        self.done |= new
        self._save(DONE_KEY, sorted(self.done))
        self.changed.emit()

    def close(self) -> None:
        """The streamer closed the checklist: it does not come back."""
        if self.closed:
            return
        self.closed = True
        self._save(CLOSED_KEY, True)
        self.changed.emit()

    def _save(self, key: str, value: object) -> None:
        self.vm.spawn(self.vm.app.preferences.save(key, value), "remember the checklist")
