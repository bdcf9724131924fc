"""Small routines built straight from the models, and a driver that keeps the clock.

Built in code rather than loaded from TOML so each test shows the exact
routine it runs; the shipped TOML routines are covered by the golden
simulate tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from voicecoach.coach import initial_state, step
from voicecoach.coach.effects import Beep, Effect, Hush, Log, Say
from voicecoach.coach.events import Event, Heard, SpeechDone, Start, Tick
from voicecoach.coach.intents import Intent, match
from voicecoach.coach.state import CoachState, Phase
from voicecoach.routine.models import Correction, Routine, Settings, Step

PAIN = Correction(when=("that hurts", "ouch"), say="Stop now and rest. Pain means stop.",
                  then="pause", path="corrections[0]")
TOO_EASY = Correction(when=("too easy",), say="Go a little deeper. Slowly.",
                      path="corrections[1]")
HEELS = Correction(when=("my heels are lifting",),
                   say="Roll the heels in. Shift your weight forward.",
                   path="steps[1].corrections[0]")
TWISTED = Correction(when=("i feel twisted",), say="That's expected. Check a mirror.",
                     then="repeat-step", path="steps[1].corrections[1]")
DIZZY = Correction(when=("i feel dizzy",), say="Sit down for a moment.", then="stop",
                   path="steps[1].corrections[2]")
KNEES = Correction(when=("my knees hurt",), say="Reset: heels in, hips forward.",
                   path="steps[1].corrections[3]")
WOBBLY = Correction(when=("i'm wobbly",), say="Hold on to something. Then carry on.",
                    then="pause", path="steps[2].corrections[0]")


def routine(*steps: Step, corrections: tuple[Correction, ...] = (PAIN, TOO_EASY),
            **settings: Any) -> Routine:
    return Routine(name="Test routine", steps=tuple(steps), settings=Settings(**settings),
                   corrections=corrections)


def plain(id: str = "intro", **kw: Any) -> Step:
    """A voice step with neither reps nor hold: cue, then wait for "next"."""
    return Step(id=id, title=id.title(), cue=kw.pop("cue", f"This is {id}."), **kw)


def reps(id: str = "squat", **kw: Any) -> Step:
    kw.setdefault("reps", 3)
    kw.setdefault("tempo", (1.0, 1.0))
    return Step(id=id, title=id.title(), cue=kw.pop("cue", f"Do {id}."), **kw)


def hold(id: str = "hold", **kw: Any) -> Step:
    kw.setdefault("hold_seconds", 10.0)
    kw.setdefault("advance", "auto")
    return Step(id=id, title=id.title(), cue=kw.pop("cue", f"Hold {id}."), **kw)


def three_steps(**settings: Any) -> Routine:
    """intro (plain) -> squat (3 reps x 2 sets, rest 20, step corrections) -> hold (auto 10 s)."""
    return routine(
        plain("intro", why="To get ready."),
        reps("squat", sets=2, rest_seconds=20.0, corrections=(HEELS, TWISTED, DIZZY, KNEES)),
        hold("hold", corrections=(WOBBLY,)),
        **settings,
    )


@dataclass
class Coach:
    """Drives the engine like a shell would, recording every effect; `now` is the test clock."""

    state: CoachState
    now: float = 0.0
    effects: list[Effect] = field(default_factory=list)
    last: tuple[Effect, ...] = ()

    @classmethod
    def started(cls, r: Routine, **kw: Any) -> Coach:
        coach = cls(initial_state(r, **kw))
        coach.send(Start(0.0))
        return coach

    def send(self, event: Event) -> tuple[Effect, ...]:
        self.state, self.last = step(self.state, event)
        self.effects.extend(self.last)
        return self.last

    def say(self, text: str) -> tuple[Effect, ...]:
        """Words as if heard, matched in the current step like the shell does."""
        intent = match(self.state.routine, self.state.step_index, text)
        return self.send(Heard(self.now, text, intent))

    def command(self, name: str) -> tuple[Effect, ...]:
        return self.send(Heard(self.now, name, Intent.command(name), source="key"))

    def tick(self, seconds: float, by: float = 0.1) -> list[Effect]:
        """Let time pass in small ticks, as the shell's timer would."""
        out: list[Effect] = []
        end = self.now + seconds
        while self.now < end - 1e-9:
            self.now = round(min(end, self.now + by), 6)
            out.extend(self.send(Tick(self.now)))
        return out

    def phase(self) -> Phase:
        """The current phase (a call, so type checkers do not keep an old narrowing)."""
        return self.state.phase

    def done_speaking(self, say: Say | None = None) -> tuple[Effect, ...]:
        """SpeechDone for `say` (default: the awaited one the coach waits for)."""
        say_id = say.id if say is not None else self.state._awaiting
        assert say_id is not None, "nothing awaited"
        return self.send(SpeechDone(self.now, say_id))


def says(effects: Sequence[Effect]) -> list[Say]:
    return [e for e in effects if isinstance(e, Say)]


def texts(effects: Sequence[Effect]) -> list[str]:
    return [e.text for e in says(effects)]


def logs(effects: Sequence[Effect], kind: str | None = None) -> list[Log]:
    return [e for e in effects if isinstance(e, Log) and (kind is None or e.kind == kind)]


def beeps(effects: Sequence[Effect]) -> list[str]:
    return [e.kind for e in effects if isinstance(e, Beep)]


def hushed(effects: Sequence[Effect]) -> bool:
    return any(isinstance(e, Hush) for e in effects)
