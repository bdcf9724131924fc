"""Property tests: random event sequences never break the coach's invariants.

Operations are drawn abstractly (tick by dt, end the awaited speech, end some
other speech, hear a command, a correction from *any* step, words, noise,
an event from the past) and made concrete against the current state, so
Hypothesis can shrink a failure to a short, readable list.

Decision recorded here: while paused, the only things spoken are the pause and
resume acknowledgements and safety (pain) corrections; leaving the pause by
"resume" may re-say the cut cue, and "stop" (or a safety `then = "stop"`) ends
the session with its summary.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.coach.helpers import hold, plain, reps, routine, three_steps
from voicecoach.coach import effect_records, initial_state, step
from voicecoach.coach.effects import Log, Say
from voicecoach.coach.events import Event, Heard, SpeechDone, Start, Tick
from voicecoach.coach.intents import CORRECTION, Intent, match
from voicecoach.coach.state import CoachState, Phase
from voicecoach.routine import load_routine
from voicecoach.routine.commands import COMMAND_NAMES
from voicecoach.routine.models import Correction, Routine

REPO = Path(__file__).resolve().parents[2]

ROUTINES: list[Routine] = [
    three_steps(),
    three_steps(beeps=True, count_reps=False, correction_cooldown=0),
    routine(hold("only", sets=3, rest_seconds=25.0)),
    routine(reps("r", reps=2, sets=2, rest_seconds=3.0, advance="auto"), plain("p", sets=2)),
    load_routine(REPO / "routines" / "squat.toml"),
    load_routine(REPO / "routines" / "mobility.toml"),
]

WORDS = ["", "banana", "next please", "NEXT!", "my heels are lifting", "that hurts", "skip rest",
         "i'm done", "too easy", "my knees hurt", "what can i say", "carry on"]

ops = st.one_of(
    st.tuples(st.just("tick"), st.floats(min_value=0, max_value=30, allow_nan=False)),
    st.tuples(st.just("tick"), st.sampled_from([0.0, 0.1, 1e-7, 0.5])),
    st.tuples(st.just("done_awaited"), st.just(0)),
    st.tuples(st.just("done_awaited"), st.just(0)),
    st.tuples(st.just("done"), st.integers(min_value=-1, max_value=60)),
    st.tuples(st.just("command"), st.sampled_from(COMMAND_NAMES)),
    st.tuples(st.just("command"), st.sampled_from(COMMAND_NAMES)),
    # pause and resume often, so the paused invariants get exercised
    st.tuples(st.just("command"), st.sampled_from(["pause", "resume", "next"])),
    st.tuples(st.just("correction"), st.integers(min_value=0, max_value=200)),
    st.tuples(st.just("words"), st.sampled_from(WORDS)),
    st.tuples(st.just("noise"), st.text(max_size=12)),
    st.tuples(st.just("past"), st.floats(min_value=0, max_value=50, allow_nan=False)),
)


def all_corrections(r: Routine) -> list[Correction]:
    return [c for s in r.steps for c in s.corrections] + list(r.corrections)


def concrete(op: tuple[str, object], s: CoachState, clock: float) -> tuple[Event, float]:
    kind, arg = op
    r = s.routine
    match kind:
        case "tick":
            clock += float(arg)  # type: ignore[arg-type]
            return Tick(clock), clock
        case "done_awaited":
            return SpeechDone(clock, s._awaiting if s._awaiting is not None else 0), clock
        case "done":
            return SpeechDone(clock, int(arg)), clock  # type: ignore[call-overload]
        case "command":
            return Heard(clock, str(arg), Intent.command(str(arg)), source="key"), clock
        case "correction":
            corrections = all_corrections(r)
            c = corrections[int(arg) % len(corrections)]  # type: ignore[call-overload]
            return Heard(clock, c.when[0], Intent(CORRECTION, c.when[0], c)), clock
        case "words" | "noise":
            return Heard(clock, str(arg), match(r, s.step_index, str(arg)), 0.7), clock
        case "past":
            return Tick(max(0.0, clock - float(arg))), clock  # type: ignore[arg-type]
    raise AssertionError(kind)


def in_scope_paths(s: CoachState) -> set[str]:
    return {c.path for c in s.current_step.corrections} | {c.path for c in s.routine.corrections}


#: COACH_EXAMPLES=5000 for a longer hunt by hand.
EXAMPLES = int(os.environ.get("COACH_EXAMPLES", "300"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(min_value=0, max_value=len(ROUTINES) - 1),
       script=st.lists(ops, max_size=60))
def test_random_event_sequences_keep_every_invariant(which: int,
                                                    script: list[tuple[str, object]]) -> None:
    r = ROUTINES[which]
    s, effects = step(initial_state(r), Start(0.0))
    clock = 0.0
    last_t = 0.0
    last_id = 0
    for effect in effects:
        if isinstance(effect, Say):
            last_id = effect.id
    for op in script:
        before = s
        event, clock = concrete(op, s, clock)
        s, effects = step(before, event)  # never raises for anything a user can do

        # after Finish, nothing more happens
        if before.finished:
            assert s is before and effects == ()
            continue
        assert s.phase is not Phase.IDLE
        # the step index and set number stay in range
        assert 0 <= s.step_index < len(r.steps)
        assert 1 <= s.set_number <= s.current_step.sets
        if s.current_step.reps is not None:
            assert 0 <= s.rep <= s.current_step.reps
        if s.timer_total is not None:
            assert -1e-6 <= s.timer_elapsed <= s.timer_total + 1e-6
        assert 80 <= s.rate <= 450 and 0.5 <= s.tempo_scale <= 2.0
        # time never runs backwards: state clock and record times
        assert s.now >= before.now
        records = effect_records(effects, s.now)
        json.dumps(records)
        for record in records:
            assert record["t"] >= last_t
            last_t = record["t"]
        # say ids are unique and increasing
        spoken = [e for e in effects if isinstance(e, Say)]
        for say in spoken:
            assert say.id > last_id and say.text
            last_id = say.id
        assert s.next_say_id == last_id + 1
        # nothing is said while paused but the acknowledgements and safety
        if before.paused and s.paused:
            assert {say.kind for say in spoken} <= {"ack", "safety"}
        if before.paused and not s.paused and spoken:
            assert isinstance(event, Heard) and event.intent is not None
            assert event.intent.kind in ("resume", "stop", CORRECTION)
        if isinstance(event, Tick) and before.paused:
            assert spoken == []
            assert (s.rep, s.timer_elapsed, s.phase) == (before.rep, before.timer_elapsed,
                                                         before.phase)
        # corrections in scope, or said to come from the nearest step that has them
        for log in effects:
            if isinstance(log, Log) and log.kind == "correction":
                if log.data["scope"] == "nearest-step":
                    owner = before.routine.steps[before.routine.step_index(log.data["from_step"])]
                    assert log.data["path"] in {c.path for c in owner.corrections}
                    assert log.data["path"] not in in_scope_paths(before)
                else:
                    assert log.data["path"] in in_scope_paths(before)
        # unrecognised words change nothing but the miss count and what was heard
        if isinstance(event, Heard) and event.intent is None:
            assert (s.step_index, s.set_number, s.rep, s.phase, s.paused) == (
                before.step_index, before.set_number, before.rep, before.phase, before.paused)
        # finishing says so exactly once
        finishes = [e for e in effects if type(e).__name__ == "Finish"]
        assert len(finishes) == (1 if s.finished else 0)


@settings(max_examples=100, deadline=None)
@given(which=st.integers(min_value=0, max_value=len(ROUTINES) - 1),
       dts=st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), max_size=300))
def test_a_silent_person_always_reaches_an_end_or_a_wait(which: int, dts: list[float]) -> None:
    """With only time and speech ends, the coach runs on by itself until a voice step waits."""
    r = ROUTINES[which]
    s, _ = step(initial_state(r), Start(0.0))
    clock = 0.0
    for dt in dts:
        clock += dt
        if s._awaiting is not None:
            s, _ = step(s, SpeechDone(clock, s._awaiting))
        s, _ = step(s, Tick(clock))
    if s.finished:
        return
    assert s.phase in (Phase.ANNOUNCING, Phase.COUNTING, Phase.HOLDING, Phase.RESTING,
                       Phase.WAITING)
    if s.phase is Phase.WAITING:
        assert s.current_step.advance == "voice" or not (s.current_step.reps or
                                                         s.current_step.hold_seconds)
