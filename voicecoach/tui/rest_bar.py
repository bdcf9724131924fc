"""The rest countdown: a bar that empties, and the seconds left."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from voicecoach.coach.state import CoachState, Phase


class RestBar(Horizontal):
    """Visible only while resting; no ETA or clock of its own (the coach's timer is the truth)."""

    def compose(self) -> ComposeResult:
        yield Static("REST", id="rest-label")
        yield ProgressBar(total=1.0, show_eta=False, show_percentage=False, id="rest-progress")
        yield Static(id="rest-seconds")

    def show(self, state: CoachState) -> None:
        resting = state.phase is Phase.RESTING and state.timer_total
        self.display = bool(resting)
        if not resting:
            return
        total = float(state.timer_total or 1.0)
        remaining = state.timer_remaining or 0.0
        self.query_one(ProgressBar).update(total=total, progress=remaining)
        paused = "  (paused)" if state.paused else ""
        self.query_one("#rest-seconds", Static).update(f"{remaining:3.0f}s{paused}  k: skip")
