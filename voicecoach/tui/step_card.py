"""The step title and its cue: the first thing read from across the room."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from voicecoach.coach.state import CoachState


class StepCard(Vertical):
    """Step N of M, the title in reverse video, the cue, and what the coach last said."""

    def compose(self) -> ComposeResult:
        yield Static(id="step-where")
        yield Static(id="step-title")
        yield Static(id="step-cue")
        yield Static(id="coach-said")

    def show(self, state: CoachState) -> None:
        step = state.current_step
        total = len(state.routine.steps)
        self.query_one("#step-where", Static).update(
            f"{state.routine.name} · step {state.step_index + 1} of {total}"
        )
        self.query_one("#step-title", Static).update(step.title)
        self.query_one("#step-cue", Static).update(step.cue)
        said = state.last_said if state.last_said and state.last_said != step.cue else ""
        coach_said = self.query_one("#coach-said", Static)
        coach_said.update(f"coach: {said}" if said else "")
        coach_said.display = bool(said)
