"""Which half of the rep we are in (down or up), or the hold timer."""

from __future__ import annotations

from textual.widgets import Static

from voicecoach.coach.state import CoachState, Phase


def tempo_text(state: CoachState) -> tuple[str, str]:
    """(text, css class) for the tempo line; pure so tests can check every phase."""
    step = state.current_step
    if state.phase is Phase.COUNTING and state.rep_phase in ("down", "up"):
        down, up = (t * state.tempo_scale for t in step.tempo)
        if state.rep_phase == "down":
            return f"▼ DOWN  {down:g}s", "down"
        return f"▲ UP  {up:g}s", "up"
    if state.phase is Phase.HOLDING and state.timer_remaining is not None:
        return f"HOLD  {state.timer_remaining:.0f}s", "hold"
    return "", "none"


class TempoIndicator(Static):
    """Shows ▼ DOWN / ▲ UP while counting, HOLD n s while holding, nothing otherwise."""

    def show(self, state: CoachState) -> None:
        text, kind = tempo_text(state)
        self.update(text)
        self.set_class(kind == "down", "-down")
        self.set_class(kind == "up", "-up")
        self.set_class(kind == "hold", "-hold")
        self.display = bool(text)
