"""The end of a session: how it went and what was asked for most."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from voicecoach.coach.state import CoachState, Phase
from voicecoach.routine.models import Routine


def correction_label(routine: Routine, path: str) -> str:
    """A correction's path (`steps[1].corrections[0]`) -> its first phrase, as people say it."""
    for correction in (*routine.corrections, *(c for s in routine.steps for c in s.corrections)):
        if correction.path == path:
            return correction.when[0]
    return path


def summary_lines(state: CoachState) -> list[str]:
    routine = state.routine
    done = state.phase is Phase.DONE
    lines = [
        f"{routine.name}: {'done, well done!' if done else 'stopped'}",
        f"reached step {state.step_index + 1} of {len(routine.steps)}"
        f" ({state.current_step.title}); sets done: {state.sets_done}",
    ]
    if state.started_at is not None:
        minutes, seconds = divmod(max(0, round(state.now - state.started_at)), 60)
        lines.append(f"time: {minutes}:{seconds:02d}")
    # By phrase, not by correction: several steps answer "my heels are lifting" each in
    # their own way, and the person asked about one thing.
    by_label: dict[str, int] = {}
    for path, n in state.correction_counts.items():
        label = correction_label(routine, path)
        by_label[label] = by_label.get(label, 0) + n
    counts = sorted(by_label.items(), key=lambda kv: (-kv[1], kv[0]))
    if counts:
        lines.append("you asked about:")
        lines += [f"  {n}x  {label}" for label, n in counts[:5]]
    else:
        lines.append("no corrections asked for")
    return lines


class WrapUpScreen(Screen[None]):
    """q quits; Enter goes back to the routine picker (when the app can start another)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.close_and_exit", "Quit"),
        Binding("enter", "back_to_picker", "Pick another"),
        Binding("h", "app.show_history", "History"),
    ]

    def __init__(self, state: CoachState, hearing_note: str | None = None) -> None:
        super().__init__(id="wrapup")
        self._state = state
        self._hearing_note = hearing_note
        """The session's `SessionPort.hearing_note`, shown under the summary when set."""

    @property
    def can_pick_another(self) -> bool:
        return getattr(self.app, "session_factory", None) is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Without a session factory (a session given on the command line) there is
        # no picker to go back to: hide the key rather than offer a dead end.
        if action == "back_to_picker":
            return self.can_pick_another
        return True

    async def action_back_to_picker(self) -> None:
        await self.app.run_action("app.back_to_picker")

    def compose(self) -> ComposeResult:
        done = self._state.phase is Phase.DONE
        with Vertical(id="wrapup-box"):
            yield Static("SESSION DONE" if done else "SESSION STOPPED", id="wrapup-title")
            yield Static("\n".join(summary_lines(self._state)), id="wrapup-summary")
            if self._hearing_note:
                yield Static(self._hearing_note, id="wrapup-hearing")
            keys = ["q: quit", "Enter: pick another routine", "h: history"]
            if not self.can_pick_another:
                keys.remove("Enter: pick another routine")
            yield Static(" · ".join(keys), id="wrapup-keys")
        yield Footer()
