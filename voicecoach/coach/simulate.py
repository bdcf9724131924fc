"""Drive the coach with a script and simulated time: the engine behind `voicecoach simulate`.

A script is plain text, one instruction a line:

    # comments and blank lines are skipped
    next                     a phrase, as if heard (matched in the current step)
    my heels are lifting
    wait 12.5                let 12.5 seconds pass

The driver plays the part of the shell, with a clock that jumps instead of
ticking: between script lines it feeds `Tick` exactly at each deadline the
coach reports (`next_deadline`) and `SpeechDone` when each awaited `Say`
would end. Speech is modelled as one voice reading its queue in order at
the estimated speed (`estimate_speech_seconds`); a `Hush` empties the queue.
Rep counts are not queued (a late count is dropped in the real app), so
they take no voice time here. Everything is deterministic: the same routine
and script give the same records, which is what the golden tests rely on.

After the last script line the run goes on in simulated time, so an
all-`auto` routine needs no guessed `wait`: until the routine is done, or
until nothing more can happen by itself (a `voice` step waiting for "next",
or a pause waiting for "resume"), which ends the output with a `waiting`
record. `max_seconds` bounds the simulated clock (a `limit` record says it
was reached). With `answer_next`, "next" is said at once whenever the routine
waits for it, which is how `simulate --summary` walks a whole routine.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from voicecoach.coach.effects import Effect, Hush, Priority, Say
from voicecoach.coach.engine import initial_state, next_deadline, step
from voicecoach.coach.events import Event, Heard, SpeechDone, Start, Tick
from voicecoach.coach.intents import match
from voicecoach.coach.records import effect_records
from voicecoach.coach.state import CoachState
from voicecoach.coach.words import estimate_speech_seconds
from voicecoach.errors import UsageError
from voicecoach.routine.models import Routine

MAX_SECONDS = 14_400.0
"""Simulated seconds after which a run stops by default (4 hours: longer than any routine)."""
MAX_WAIT = 86_400.0
"""Seconds: one `wait` may not be longer than a day (a typo like `wait 36000000`)."""
_MAX_EVENTS_PER_WAIT = 1_000_000
"""A guard against a coach that keeps asking for ticks at the same instant (a bug)."""


class ScriptError(UsageError):
    """A bad line in a simulate script (exit status 2)."""


@dataclass(frozen=True)
class Phrase:
    """A script line: words as if heard."""

    text: str
    line: int


@dataclass(frozen=True)
class Wait:
    """A script line: let time pass."""

    seconds: float
    """Seconds, >= 0."""
    line: int


ScriptLine = Phrase | Wait


def parse_script(text: str, name: str = "<script>") -> list[ScriptLine]:
    """The script's instructions; raises `ScriptError` naming the first bad line."""
    lines: list[ScriptLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0].lower() != "wait":
            lines.append(Phrase(line, number))
            continue
        if len(words) != 2:
            raise ScriptError(f"{name}:{number}: expected `wait SECONDS`, got {line!r}")
        try:
            seconds = float(words[1])
        except ValueError:
            raise ScriptError(
                f"{name}:{number}: `wait` needs a number of seconds, got {words[1]!r}") from None
        if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_WAIT:
            raise ScriptError(
                f"{name}:{number}: `wait` needs seconds from 0 to {MAX_WAIT:g}, got {words[1]!r}")
        lines.append(Wait(seconds, number))
    return lines


class _Voice:
    """One simulated voice: when each awaited `Say` would end, reading its queue in order."""

    def __init__(self) -> None:
        self.busy_until = 0.0
        self.pending: list[tuple[float, int]] = []
        """(end time, say id) of awaited speech not yet reported done."""

    def perform(self, effects: Sequence[Effect], now: float) -> None:
        for effect in effects:
            if isinstance(effect, Hush):
                self.busy_until = now
                self.pending = [(now, say_id) for _, say_id in self.pending]
            elif isinstance(effect, Say) and effect.priority is not Priority.COUNT:
                start = max(now, self.busy_until)
                self.busy_until = start + estimate_speech_seconds(effect.text, effect.rate)
                if effect.awaited:
                    self.pending.append((self.busy_until, effect.id))
        self.pending.sort()

    def next_done(self) -> float | None:
        return self.pending[0][0] if self.pending else None


def run_script(routine: Routine, script: Sequence[ScriptLine], *, rate: int | None = None,
               beeps: bool | None = None, max_seconds: float = MAX_SECONDS,
               answer_next: bool = False) -> Iterator[dict[str, object]]:
    """Start the routine at t=0, play the script, run on until done or waiting (or
    `max_seconds`), and yield each record as it happens."""
    driver = _Driver(initial_state(routine, rate=rate, beeps=beeps))
    yield from driver.feed(Start(0.0))
    for item in script:
        if driver.state.finished:
            return
        if isinstance(item, Phrase):
            yield from driver.hear(item.text)
        else:
            yield from driver.wait(item.seconds)
    yield from driver.run_on(max_seconds, answer_next=answer_next)


class _Driver:
    """The shell's part: owns the state, performs speech on a simulated voice, keeps time."""

    def __init__(self, state: CoachState) -> None:
        self.state = state
        self.voice = _Voice()

    def feed(self, event: Event) -> list[dict[str, object]]:
        self.state, effects = step(self.state, event)
        self.voice.perform(effects, self.state.now)
        return effect_records(effects, self.state.now)

    def hear(self, text: str) -> list[dict[str, object]]:
        intent = match(self.state.routine, self.state.step_index, text)
        return self.feed(Heard(self.state.now, text, intent, 1.0, "text"))

    def run_on(self, max_seconds: float, *, answer_next: bool) -> Iterator[dict[str, object]]:
        """Let time pass until the routine ends or waits for words; stop at `max_seconds`."""
        while not self.state.finished:
            dues = [t for t in (self.voice.next_done(), next_deadline(self.state))
                    if t is not None]
            if not dues:
                waits_for = "resume" if self.state.paused else "next"
                if answer_next and waits_for == "next":
                    yield from self.hear("next")
                    continue
                step = self.state.current_step
                yield {"t": round(self.state.now, 3), "kind": "waiting", "for": waits_for,
                       "step": step.id, "index": self.state.step_index}
                return
            due = min(dues)
            if due > max_seconds:
                if self.state.now < max_seconds:
                    yield from self.until(max_seconds)
                yield {"t": round(self.state.now, 3), "kind": "limit",
                       "max_seconds": max_seconds, "step": self.state.current_step.id}
                return
            yield from self.until(max(due, self.state.now))

    def wait(self, seconds: float) -> Iterator[dict[str, object]]:
        """Let `seconds` pass: speech ends and timer deadlines in order, then a tick at the end."""
        yield from self.until(self.state.now + seconds)

    def until(self, end: float) -> Iterator[dict[str, object]]:
        """Let time pass up to `end` (the caller's clock)."""
        for _ in range(_MAX_EVENTS_PER_WAIT):
            if self.state.finished:
                return
            due_speech = self.voice.next_done()
            due_timer = next_deadline(self.state)
            due = [t for t in (due_speech, due_timer) if t is not None and t <= end]
            if not due:
                if self.state.now < end:
                    yield from self.feed(Tick(end))
                return
            at = max(min(due), self.state.now)
            if due_speech is not None and due_speech <= at:
                _, say_id = self.voice.pending.pop(0)
                yield from self.feed(SpeechDone(at, say_id))
            else:
                yield from self.feed(Tick(at))
        raise RuntimeError("simulate: the coach kept asking for time at the same instant")


# --- the summary: what a routine takes and says, for someone editing it -------------------


@dataclass
class StepSummary:
    """One step of a simulated run: when it started, how long it took, what was said."""

    id: str
    title: str
    start: float
    seconds: float = 0.0
    says: list[str] = field(default_factory=list)
    counts: int = 0
    """Rep numbers spoken (listed as one entry, not one line each)."""


@dataclass
class RunSummary:
    routine: str
    steps: list[StepSummary]
    total: float
    ending: str
    """The last record's kind: `done`, `stop`, `waiting` or `limit`."""


def summarize(records: Sequence[dict[str, object]]) -> RunSummary:
    """Group a run's records by step. Pure: the records of `run_script` in, a table's rows out."""
    name = ""
    steps: list[StepSummary] = []
    for rec in records:
        kind = rec["kind"]
        t = float(rec["t"])  # type: ignore[arg-type]
        if kind == "start":
            name = str(rec["routine"])
        elif kind == "step":
            if steps:
                steps[-1].seconds = t - steps[-1].start
            steps.append(StepSummary(str(rec["id"]), str(rec["title"]), t))
        elif kind == "say" and steps:
            current = steps[-1]
            if rec["say_kind"] == "count":
                current.counts += 1
            elif rec["text"] not in current.says:
                current.says.append(str(rec["text"]))
    end = float(records[-1]["t"]) if records else 0.0  # type: ignore[arg-type]
    if steps:
        steps[-1].seconds = end - steps[-1].start
    ending = str(records[-1]["kind"]) if records else ""
    return RunSummary(name, steps, end, ending)
