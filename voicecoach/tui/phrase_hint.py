"""'you can say: ...': what means something right now, short enough to read at a glance.

Every phrase comes from `active_phrases` (the same scope the recognizer
listens for); of the built-in commands only the first phrase of each is
shown, and only the ones that make sense in this phase (resume when paused,
skip rest while resting). Corrections for this step come first: they are the
ones a person cannot guess. `?` lists everything.
"""

from __future__ import annotations

from textual.widgets import Static

from voicecoach.coach.intents import CORRECTION, active_phrases, match
from voicecoach.coach.state import CoachState, Phase

#: Commands always worth a reminder, in this order.
_COMMANDS = ("next", "back", "repeat", "why", "status", "slower", "faster", "stop")


def hint_phrases(state: CoachState) -> list[str]:
    routine = state.routine
    active = active_phrases(routine, state.step_index)
    corrections = []
    for phrase in active:
        intent = match(routine, state.step_index, phrase)
        correction = intent.correction if intent is not None else None
        if correction is not None and intent is not None and intent.kind == CORRECTION \
                and phrase == correction.when[0] and not correction.is_global:
            corrections.append(phrase)
    commands = ["resume" if state.paused else "pause"]
    if state.phase is Phase.RESTING:
        commands.insert(0, "skip_rest")
    commands += list(_COMMANDS)
    shown = [routine.commands[name][0] for name in commands if routine.commands.get(name)]
    return corrections + [p for p in shown if p in active]


def hint_text(state: CoachState) -> str:
    return "you can say: " + " · ".join(hint_phrases(state)) + "  (? for all)"


class PhraseHint(Static):
    def show(self, state: CoachState) -> None:
        self.update(hint_text(state))
