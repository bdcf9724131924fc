"""The coach engine: `step(state, event) -> (state, effects)`, a pure function.

Rule 1: everything that decides what the coach does next lives in this file.

Theory of operation
-------------------
The coach is a state machine with no I/O. Time, speech and words come in as
events (`Start`, `Tick`, `SpeechDone`, `Heard`); what to say, beep, show and log
goes out as effects. Nothing here reads a clock, sleeps, or touches a device,
so every behaviour can be driven with simulated time, one event at a time.

A session walks the routine's steps in order. Within a step, each set goes
through the phases of `Phase`:

    IDLE --Start--> ANNOUNCING --SpeechDone--> COUNTING | HOLDING | WAITING
    COUNTING/HOLDING --last rep / hold over--> RESTING | ANNOUNCING (next set)
                                               | WAITING (voice step, last set)
                                               | next step's ANNOUNCING | DONE
    RESTING --rest over / "skip rest"--> ANNOUNCING (next set)
    WAITING --"next"--> next set / next step / DONE
    any --"stop" or a correction with then="stop"--> STOPPED

ANNOUNCING means the cue ("Set 2 of 3. <cue>") is being spoken. Its `Say` is
*awaited*: the set's timer starts only when the shell reports `SpeechDone`
for that exact say id (`state._awaiting`). A newer awaited `Say` replaces the
old one, so a late `SpeechDone` for the old one is ignored. The rest is
announced the same way ("Set done. Rest 45 seconds.") and its timer starts
when that announcement ends.

Timers run only when nothing is awaited and the session is not paused (see
`_timer_running`). A `Tick` advances the running timer by the time since the
last event; one tick may cross several deadlines (two reps, a rest warning
and the rest's end), and each is handled in order at its own instant. While
COUNTING, the timer is one half rep: `rep_phase` "down" then "up"; a rep
completes at the end of "up", when its number is spoken. `next_deadline(state)`
says when the running timer next needs a tick, so a driver (simulate) can
jump straight there.

Pause is a flag, not a phase: the phase is kept, the clock (`now`) runs on,
timers stand still, and nothing is spoken but the pause and resume
acknowledgements. One exception, on purpose: a safety correction (pain) is
always spoken, paused or not. A pause cuts the speech (`Hush`), so if the
cue or the rest announcement was cut, resume says it again (awaited); if a
timer was running, resume's "Resuming." is awaited so the count picks up
only after it.

Words arrive as `Heard` with an intent already matched by the shell
(`voicecoach.coach.intents.match`). Commands dispatch through `_COMMANDS`;
what "next" means depends on the phase (`_NEXT`). A correction is checked
against the current step's scope again, defensively. A correction that the
routine knows but the current step does not never goes unanswered: the
nearest step that has the phrase answers with its advice (`Intent.from_step`),
and the `correction` record says so (`scope: "nearest-step"`, `from_step`). Unrecognised words
change nothing, and after two misses in a row the coach says what it can
understand here. "stop" is the one command that cannot be undone, so a
spoken stop ends the session at once only when it is sure (`STOP_SURE`) and
long (`STOP_SURE_WORDS`: "stop the session", "I'm done"). A bare "stop", or
an unsure one, pauses and asks ("Did you say stop?"), and a second stop
within `STOP_CONFIRM_WINDOW` ends the session. A key press ends it at once.

Errors: misuse by the program (an event before `Start`, a second `Start`,
an intent kind that does not exist) raises `CoachError` and the state is
unchanged (the caller still holds it). Nothing a user can say or do raises.
After `Finish`, every event is ignored: the state is returned unchanged with
no effects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any, TypeVar

from voicecoach.coach import intents
from voicecoach.coach.effects import Beep, Effect, Finish, Hush, Log, Priority, Say, Show
from voicecoach.coach.events import Event, Heard, SpeechDone, Start, Tick
from voicecoach.coach.intents import Intent
from voicecoach.coach.state import CoachState, LastHeard, Phase
from voicecoach.coach.words import duration_words, first_sentence, number_words
from voicecoach.routine.models import Correction, Routine, Step
from voicecoach.routine.phrases import spoken_words

EPS = 1e-6
"""Seconds: float slack when a timer is compared with its end."""
LATE_GRACE = 0.5
"""Seconds a rep count or rest warning may start late before the speaker drops it."""
RATE_BOUNDS = (80, 450)
RATE_STEP = 20
"""Words per minute per "slower" / "faster"."""
TEMPO_BOUNDS = (0.5, 2.0)
TEMPO_STEP = 0.25
"""Added to `tempo_scale` per "slower", taken off per "faster"."""
MISSES_BEFORE_HELP = 2
PAIN_WORDS = frozenset({"pain", "painful", "hurt", "hurts", "hurting", "ouch", "injured"})
"""A correction whose phrases use one of these is about pain: safety first."""

PAUSED_HINT = "Say resume when you're ready."
STOP_SURE = 0.6
"""A spoken "stop" less sure than this is asked about instead of obeyed: it ends the session
and cannot be undone, and a misheard word ("back" in music) must not do that."""
STOP_SURE_WORDS = 2
"""A spoken stop phrase shorter than this is asked about however sure the recognizer is.
One short word is where sure misrecognitions live: an hour's soak heard "faster" as
"stop" at 0.998. Pausing at once still does what someone shouting "stop" needs."""
STOP_CONFIRM_WINDOW = 10.0
"""Seconds after asking in which a second "stop" (of any confidence) ends the session."""
STOP_QUESTION = "Did you say stop? Say stop again to end the session."
STOP_ASK_PAUSED = f"Paused. {STOP_QUESTION} Or say resume to go on."


class CoachError(RuntimeError):
    """The program used the coach wrongly (never raised for anything a user does)."""


# --- the public surface ----------------------------------------------------------------


def initial_state(routine: Routine, *, rate: int | None = None,
                  beeps: bool | None = None) -> CoachState:
    """The state before `Start`: nothing said yet, the clock at zero.

    `rate` and `beeps` override the routine's settings (a flag or the user's
    config); a rate outside 80..450 is brought into range rather than refused.
    """
    if not routine.steps:
        raise CoachError("a routine needs at least one step")
    chosen = routine.settings.rate if rate is None else rate
    return CoachState(
        routine=routine,
        rate=_clamp(int(chosen), *RATE_BOUNDS),
        beeps=routine.settings.beeps if beeps is None else beeps,
    )


def step(state: CoachState, event: Event) -> tuple[CoachState, tuple[Effect, ...]]:
    """Feed one event; get the next state and what to do. Never mutates `state`."""
    if state.phase is Phase.IDLE and not isinstance(event, Start):
        raise CoachError(f"{type(event).__name__} before Start")
    if state.finished:
        return state, ()
    turn = _Turn(replace(state, now=max(state.now, event.now)))
    match event:
        case Start():
            if state.phase is not Phase.IDLE:
                raise CoachError("Start sent twice")
            _on_start(turn)
        case Tick():
            _run_timers(turn, since=state.now)
        case SpeechDone(say_id=say_id):
            _on_speech_done(turn, say_id)
        case Heard():
            _on_heard(turn, event)
        case _:
            raise CoachError(f"not a coach event: {event!r}")
    return turn.finish(state)


def next_deadline(state: CoachState) -> float | None:
    """When (caller's clock) the running timer next needs a `Tick`; None if nothing runs.

    The shell may tick more often; `simulate` ticks exactly here so its
    output shows each rep and warning at its own instant.
    """
    if state.finished or not _timer_running(state):
        return None
    assert state.timer_total is not None
    remaining = max(0.0, state.timer_total - state.timer_elapsed)
    due = [remaining]
    if state.phase is Phase.RESTING:
        marks = _rest_marks(state.timer_total)
        due += [remaining - mark for mark in marks if remaining > mark + EPS]
    return state.now + min(due)


def is_safety(correction: Correction) -> bool:
    """Is this correction about pain? Those are spoken at SAFETY priority and pause."""
    return any(PAIN_WORDS.intersection(spoken_words(p)) for p in correction.when)


# --- the turn: one call of step() -----------------------------------------------------


class _Turn:
    """The working copy of one `step()` call: the evolving state and the effects so far.

    Mutable only inside one call; `step()` stays pure from the outside.
    """

    def __init__(self, state: CoachState) -> None:
        self.state = state
        self.effects: list[Effect] = []
        self.heard: Heard | None = None
        """The utterance this turn answers, if any (how sure, typed or spoken)."""

    def set(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)

    def say(self, text: str, *, kind: str, priority: Priority = Priority.INFO,
            awaited: bool = False, expires_at: float | None = None,
            remember: bool = False) -> Say:
        """Speak; `remember` makes it what "repeat" repeats; `awaited` holds the timers."""
        s = self.state
        say = Say(id=s.next_say_id, text=text, priority=priority, kind=kind, rate=s.rate,
                  awaited=awaited, expires_at=expires_at)
        self.effects.append(say)
        changes: dict[str, Any] = {"next_say_id": s.next_say_id + 1}
        if awaited:
            changes["_awaiting"] = say.id
        if remember:
            changes["last_said"] = text
        self.set(**changes)
        return say

    def log(self, kind: str, **data: Any) -> None:
        self.effects.append(Log(kind, MappingProxyType(data)))

    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)

    def finish(self, before: CoachState) -> tuple[CoachState, tuple[Effect, ...]]:
        if replace(self.state, now=before.now) != before:
            self.effects.append(Show())
        return self.state, tuple(self.effects)


# --- events ----------------------------------------------------------------------------


def _on_start(turn: _Turn) -> None:
    s = turn.state
    turn.set(started_at=s.now)
    turn.log("start", routine=s.routine.name, steps=len(s.routine.steps), rate=s.rate,
             beeps=s.beeps)
    _enter_step(turn, 0)


def _on_speech_done(turn: _Turn, say_id: int) -> None:
    """The awaited speech ended: start what it announced (a stale id changes nothing)."""
    s = turn.state
    if s._awaiting is None or say_id != s._awaiting:
        return
    turn.set(_awaiting=None)
    if s.phase is Phase.ANNOUNCING:
        _begin_set(turn)
    elif s.phase is Phase.RESTING and s.timer_total is None:
        _start_timer(turn, s.current_step.rest_seconds)
    # Otherwise it was "Resuming.": the running timer simply carries on.


def _on_heard(turn: _Turn, event: Heard) -> None:
    turn.heard = event
    intent = event.intent
    if intent is None:
        outcome = _on_miss(turn)
    else:
        turn.set(misses=0)
        if intent.kind == intents.CORRECTION:
            outcome = _on_correction(turn, intent)
        else:
            outcome = _on_command(turn, intent.kind)
    data: dict[str, Any] = {
        "text": event.text,
        "intent": intent.kind if intent else None,
        "phrase": intent.phrase if intent else None,
        "confidence": round(float(event.confidence), 3),
        "source": event.source,
        "outcome": outcome,
    }
    if intent is not None and intent.correction is not None:
        data["path"] = intent.correction.path
    turn.effects.insert(0, Log("heard", MappingProxyType(data)))
    turn.set(last_heard=LastHeard(text=event.text, confidence=event.confidence,
                                  outcome=outcome, intent=intent.kind if intent else None))


def _on_miss(turn: _Turn) -> str:
    """Words we did not understand: nothing changes, but two in a row earn a hint."""
    s = turn.state
    if s.paused:
        return "rejected"
    misses = s.misses + 1
    if misses >= MISSES_BEFORE_HELP:
        turn.say(_miss_hint(s), kind="help", remember=True)
        misses = 0
    turn.set(misses=misses)
    return "rejected"


# --- commands --------------------------------------------------------------------------


def _cmd_next(turn: _Turn) -> str:
    turn.emit(Hush())  # whatever was being said belongs to what we are leaving
    _NEXT[turn.state.phase](turn)
    return "accepted"


def _cmd_back(turn: _Turn) -> str:
    s = turn.state
    turn.emit(Hush())
    if s.step_index > 0:
        _enter_step(turn, s.step_index - 1)
    else:
        _start_set(turn, s.set_number, prefix="This is the first step. Let's start this set again.")
    return "accepted"


def _cmd_repeat(turn: _Turn) -> str:
    s = turn.state
    if s.last_said:
        turn.say(s.last_said, kind="repeat", priority=Priority.CUE)
        return "accepted"
    turn.say("Nothing to repeat yet.", kind="ack")
    return "ignored"


def _cmd_pause(turn: _Turn) -> str:
    if turn.state.paused:
        turn.say(f"Still paused. {PAUSED_HINT}", kind="ack")
        return "ignored"
    _pause(turn, f"Paused. {PAUSED_HINT}", reason="command")
    return "accepted"


def _cmd_resume(turn: _Turn) -> str:
    if not turn.state.paused:
        turn.say("We're not paused.", kind="ack")
        return "ignored"
    _resume(turn)
    return "accepted"


def _cmd_stop(turn: _Turn) -> str:
    heard, s = turn.heard, turn.state
    if heard is not None and heard.source == "voice" and not _sure_stop(heard):
        asked = s._stop_asked_at
        if asked is None or heard.now - asked > STOP_CONFIRM_WINDOW:
            turn.set(_stop_asked_at=heard.now)
            if s.paused:
                turn.say(STOP_QUESTION, kind="ack", priority=Priority.CUE)
            else:
                _pause(turn, STOP_ASK_PAUSED, reason="stop-asked", priority=Priority.CUE)
            return "asked"
    turn.emit(Hush())
    _stop(turn, "Stopping here.")
    return "accepted"


def _sure_stop(heard: Heard) -> bool:
    phrase = heard.intent.phrase if heard.intent is not None else heard.text
    return heard.confidence >= STOP_SURE and len(phrase.split()) >= STOP_SURE_WORDS


def _cmd_why(turn: _Turn) -> str:
    why = turn.state.current_step.why
    turn.say(why or "No reason is given for this step.", kind="why", priority=Priority.CUE,
             remember=True)
    return "accepted"


def _cmd_help(turn: _Turn) -> str:
    turn.say(_help_text(turn.state), kind="help", remember=True)
    return "accepted"


def _cmd_status(turn: _Turn) -> str:
    turn.say(_status_text(turn.state), kind="status", remember=True)
    return "accepted"


def _cmd_slower(turn: _Turn) -> str:
    return _change_pace(turn, +1)


def _cmd_faster(turn: _Turn) -> str:
    return _change_pace(turn, -1)


def _cmd_skip_rest(turn: _Turn) -> str:
    if turn.state.phase is Phase.RESTING:
        turn.emit(Hush())
        _skip_rest(turn)
        return "accepted"
    turn.say("There's no rest to skip right now.", kind="ack")
    return "ignored"


_Command = Callable[[_Turn], str]

#: Built-in command -> handler. Each returns the outcome: `accepted` or `ignored`.
_COMMANDS: Mapping[str, _Command] = MappingProxyType({
    "next": _cmd_next,
    "back": _cmd_back,
    "repeat": _cmd_repeat,
    "pause": _cmd_pause,
    "resume": _cmd_resume,
    "stop": _cmd_stop,
    "why": _cmd_why,
    "help": _cmd_help,
    "status": _cmd_status,
    "slower": _cmd_slower,
    "faster": _cmd_faster,
    "skip_rest": _cmd_skip_rest,
})

#: The commands that work while paused; anything else is ignored, silently.
_WHILE_PAUSED = frozenset({"pause", "resume", "stop"})


def _on_command(turn: _Turn, name: str) -> str:
    handler = _COMMANDS.get(name)
    if handler is None:
        raise CoachError(f"unknown command intent {name!r}")
    if turn.state.paused and name not in _WHILE_PAUSED:
        return "ignored"
    return handler(turn)


# --- corrections -----------------------------------------------------------------------


def _on_correction(turn: _Turn, intent: Intent) -> str:
    correction = intent.correction
    if correction is None:
        raise CoachError("a correction intent without its correction")
    s = turn.state
    in_scope = intents.match(s.routine, s.step_index, intent.phrase)
    if in_scope is None or in_scope.correction != correction:
        return "ignored"
    safety = is_safety(correction)
    if s.paused and not safety:
        return "ignored"

    key = correction.path or correction.when[0]
    said_at = s._said_at.get(key)
    full = safety or said_at is None or s.now - said_at >= s.routine.settings.correction_cooldown
    text = correction.say if full else f"Same as before: {first_sentence(correction.say)}"
    counts = dict(s.correction_counts)
    counts[key] = counts.get(key, 0) + 1
    turn.set(correction_counts=MappingProxyType(counts))
    if full:
        turn.set(_said_at=MappingProxyType({**s._said_at, key: s.now}))
    then = correction.then
    if safety and then != "stop":
        then = "pause"
    scope = "routine" if correction.is_global else "step"
    extra: dict[str, Any] = {}
    if in_scope.from_step is not None:
        # Another step's correction: answered as that step's advice. Repeating a step
        # the person is not in would be wrong, so "repeat-step" just continues here.
        scope, extra["from_step"] = "nearest-step", in_scope.from_step
        if then == "repeat-step":
            then = "continue"
    turn.log("correction", path=correction.path, phrase=intent.phrase,
             form="full" if full else "short", then=then, safety=safety, scope=scope, **extra)

    priority = Priority.SAFETY if safety else Priority.CORRECTION
    kind = "safety" if safety else "correction"
    if s.paused and then != "stop":
        # Safety while paused: say it (the one exception to the silence), stay paused.
        turn.say(text, kind=kind, priority=priority)
    else:
        match then:
            case "continue":
                turn.say(text, kind=kind, priority=priority)
            case "pause":
                hint = "" if "resume" in text.lower() else f" I've paused. {PAUSED_HINT}"
                _pause(turn, text + hint, reason="safety" if safety else "correction",
                       kind=kind, priority=priority)
            case "stop":
                turn.emit(Hush())
                turn.say(text, kind=kind, priority=Priority.SAFETY)
                _stop(turn, "")
            case "repeat-step":
                turn.emit(Hush())
                turn.say(text, kind=kind, priority=priority)
                _enter_step(turn, s.step_index)
    turn.set(last_said=correction.say)
    return "accepted"


# --- pause, resume, stop, pace -----------------------------------------------------------


def _pause(turn: _Turn, text: str, *, reason: str, kind: str = "ack",
           priority: Priority = Priority.INFO) -> None:
    turn.emit(Hush())
    turn.say(text, kind=kind, priority=priority)
    # The hush cut any awaited speech: its SpeechDone is stale now; resume re-says it.
    turn.set(paused=True, _paused_at=turn.state.now, _awaiting=None)
    turn.log("pause", reason=reason)


def _resume(turn: _Turn) -> None:
    s = turn.state
    paused_for = s.now - (s._paused_at if s._paused_at is not None else s.now)
    started = s.timer_started + paused_for if s.timer_started is not None else None
    turn.set(paused=False, _paused_at=None, timer_started=started)
    turn.log("resume", paused_seconds=round(paused_for, 3))
    if s.phase is Phase.ANNOUNCING:
        _announce(turn, prefix="Resuming.")
    elif s.phase is Phase.RESTING and s.timer_total is None:
        _announce_rest(turn, prefix="Resuming.")
    else:
        turn.say("Resuming.", kind="ack", awaited=_timer_running(turn.state))


def _stop(turn: _Turn, prefix: str) -> None:
    s = turn.state
    text = " ".join(p for p in (prefix, _summary(s, done=False)) if p)
    turn.say(text, kind="summary", priority=Priority.CUE)
    turn.log("stop", **_summary_data(s))
    _end(turn, Phase.STOPPED)
    turn.emit(Finish("stop"))


def _change_pace(turn: _Turn, direction: int) -> str:
    """+1 slower, -1 faster: the speaking rate and the rep tempo move together."""
    s = turn.state
    rate = _clamp(s.rate - RATE_STEP * direction, *RATE_BOUNDS)
    scale = _clamp(round(s.tempo_scale + TEMPO_STEP * direction, 3), *TEMPO_BOUNDS)
    word = "slow" if direction > 0 else "fast"
    if rate == s.rate and scale == s.tempo_scale:
        turn.say(f"That's as {word} as I go.", kind="ack")
        return "ignored"
    turn.set(rate=rate, tempo_scale=scale)
    at_bound = rate in RATE_BOUNDS and scale in TEMPO_BOUNDS
    text = f"{word.capitalize()}er." + (f" That's as {word} as I go." if at_bound else "")
    turn.say(text, kind="ack")
    turn.log("pace", change=f"{word}er", rate=rate, tempo_scale=scale)
    return "accepted"


# --- the set flow ------------------------------------------------------------------------


def _enter_step(turn: _Turn, index: int, prefix: str = "") -> None:
    step = turn.state.routine.steps[index]
    turn.set(step_index=index, set_number=1, rep=0, rep_phase=None)
    turn.log("step", id=step.id, index=index, title=step.title, set=1, sets=step.sets, rep=0)
    _announce(turn, prefix)


def _start_set(turn: _Turn, number: int, prefix: str = "") -> None:
    step = turn.state.current_step
    turn.set(set_number=number, rep=0, rep_phase=None)
    turn.log("set", id=step.id, set=number, sets=step.sets, rep=0)
    _announce(turn, prefix)


def _announce(turn: _Turn, prefix: str = "") -> None:
    """Say the set's cue, awaited: the set begins when it has been said."""
    text = _announcement(turn.state)
    _stop_timer(turn, Phase.ANNOUNCING)
    turn.say(_join(prefix, text), kind="cue", priority=Priority.CUE, awaited=True)
    turn.set(last_said=text)


def _begin_set(turn: _Turn) -> None:
    """The cue has been said: start counting, holding, or waiting for "next"."""
    s = turn.state
    step = s.current_step
    if step.reps:
        turn.set(phase=Phase.COUNTING, rep_phase="down")
        _start_timer(turn, step.tempo[0] * s.tempo_scale)
    elif step.hold_seconds:
        turn.set(phase=Phase.HOLDING)
        _start_timer(turn, step.hold_seconds)
    else:
        _stop_timer(turn, Phase.WAITING)


def _end_set(turn: _Turn, *, early: bool) -> None:
    """A set is over (its reps, its hold, or "next"): rest, next set, or on."""
    s = turn.state
    step = s.current_step
    timed = _is_timed(step)
    # A set counts as done if it ran: not when "next" skips it during its cue.
    if timed and (not early or s.phase in (Phase.COUNTING, Phase.HOLDING)):
        turn.set(sets_done=s.sets_done + 1)
        turn.log("set_done", id=step.id, set=s.set_number, reps=s.rep, early=early)
    turn.set(rep_phase=None)
    if s.set_number < step.sets:
        if step.rest_seconds > 0:
            turn.log("rest", id=step.id, seconds=step.rest_seconds, after_set=s.set_number)
            _announce_rest(turn)
        else:
            _start_set(turn, s.set_number + 1)
    elif early or step.advance == "auto" or not timed:
        _next_step(turn)
    else:
        _stop_timer(turn, Phase.WAITING)
        last = "That was the last set." if step.sets > 1 else "Well done."
        turn.say(f"{last} Say next when you're ready.", kind="info", remember=True)


def _announce_rest(turn: _Turn, prefix: str = "") -> None:
    rest = turn.state.current_step.rest_seconds
    _stop_timer(turn, Phase.RESTING)
    text = _join(prefix, f"Set done. Rest {duration_words(rest)}.")
    turn.say(text, kind="rest", priority=Priority.CUE, awaited=True)


def _skip_rest(turn: _Turn) -> None:
    _start_set(turn, turn.state.set_number + 1, prefix="Skipping the rest.")


def _rest_over(turn: _Turn) -> None:
    if turn.state.beeps:
        turn.emit(Beep("rest_end"))
    _start_set(turn, turn.state.set_number + 1)


def _next_step(turn: _Turn) -> None:
    s = turn.state
    if s.step_index + 1 < len(s.routine.steps):
        _enter_step(turn, s.step_index + 1)
    else:
        turn.say(_summary(s, done=True), kind="summary", priority=Priority.CUE)
        turn.log("done", **_summary_data(s))
        _end(turn, Phase.DONE)
        turn.emit(Finish("done"))


def _next_while_waiting(turn: _Turn) -> None:
    """A voice step waits for "next": a plain step's set ends; a timed step's sets are over."""
    if _is_timed(turn.state.current_step):
        _next_step(turn)
    else:
        _end_set(turn, early=True)


#: What "next" does in each phase. (IDLE, DONE and STOPPED never get here.)
_NEXT: Mapping[Phase, Callable[[_Turn], None]] = MappingProxyType({
    Phase.ANNOUNCING: lambda turn: _end_set(turn, early=True),
    Phase.COUNTING: lambda turn: _end_set(turn, early=True),
    Phase.HOLDING: lambda turn: _end_set(turn, early=True),
    Phase.WAITING: _next_while_waiting,
    Phase.RESTING: _skip_rest,
})


# --- timers ------------------------------------------------------------------------------


def _timer_running(s: CoachState) -> bool:
    return (not s.paused and s._awaiting is None and s.timer_total is not None
            and s.phase in (Phase.COUNTING, Phase.HOLDING, Phase.RESTING))


def _start_timer(turn: _Turn, seconds: float, at: float | None = None) -> None:
    turn.set(timer_total=float(seconds), timer_elapsed=0.0,
             timer_started=turn.state.now if at is None else at)


def _stop_timer(turn: _Turn, phase: Phase) -> None:
    turn.set(phase=phase, timer_total=None, timer_elapsed=0.0, timer_started=None)


def _run_timers(turn: _Turn, since: float) -> None:
    """Advance the running timer from `since` to now, handling each deadline at its instant."""
    clock = since
    while _timer_running(turn.state):
        s = turn.state
        assert s.timer_total is not None
        left = s.timer_total - s.timer_elapsed
        step_to = min(turn.state.now, clock + max(left, 0.0))
        if s.phase is Phase.RESTING:
            _rest_warnings(turn, clock, step_to)
        if turn.state.now - clock < left - EPS:
            turn.set(timer_elapsed=s.timer_elapsed + (turn.state.now - clock))
            return
        clock += max(left, 0.0)
        turn.set(timer_elapsed=s.timer_total)
        _TIMER_OVER[s.phase](turn, clock)


def _rest_marks(total: float) -> tuple[float, ...]:
    """Seconds-left marks with a spoken heads-up: ten (long rests), then three, two, one."""
    return ((10.0,) if total >= 20 else ()) + ((3.0, 2.0, 1.0) if total >= 5 else ())


_MARK_WORDS = {10.0: "Ten seconds.", 3.0: "Three.", 2.0: "Two.", 1.0: "One."}


def _rest_warnings(turn: _Turn, start: float, end: float) -> None:
    s = turn.state
    assert s.timer_total is not None
    before = s.timer_total - s.timer_elapsed
    after = before - (end - start)
    for mark in _rest_marks(s.timer_total):
        if before > mark + EPS >= after:
            due = start + (before - mark)
            if turn.state.now - due <= LATE_GRACE:
                turn.say(_MARK_WORDS[mark], kind="rest", expires_at=due + LATE_GRACE)


def _half_rep_over(turn: _Turn, at: float) -> None:
    s = turn.state
    step = s.current_step
    if s.rep_phase == "down":
        turn.set(rep_phase="up")
        _start_timer(turn, step.tempo[1] * s.tempo_scale, at)
        return
    rep = s.rep + 1
    turn.set(rep=rep)
    if s.routine.settings.count_reps:
        turn.say(number_words(rep), kind="count", priority=Priority.COUNT,
                 expires_at=at + LATE_GRACE)
    if s.beeps:
        turn.emit(Beep("rep"))
    if step.reps is not None and rep >= step.reps:
        _end_set(turn, early=False)
    else:
        turn.set(rep_phase="down")
        _start_timer(turn, step.tempo[0] * s.tempo_scale, at)


#: What happens when the running timer runs out, per phase.
_TIMER_OVER: Mapping[Phase, Callable[[_Turn, float], None]] = MappingProxyType({
    Phase.COUNTING: _half_rep_over,
    Phase.HOLDING: lambda turn, at: _end_set(turn, early=False),
    Phase.RESTING: lambda turn, at: _rest_over(turn),
})


def _end(turn: _Turn, phase: Phase) -> None:
    _stop_timer(turn, phase)
    turn.set(paused=False, _paused_at=None, _awaiting=None, rep_phase=None)


# --- what the coach says -------------------------------------------------------------------


def _announcement(s: CoachState) -> str:
    step = s.current_step
    if step.sets > 1:
        return f"Set {s.set_number} of {step.sets}. {step.cue}"
    return step.cue


def _status_text(s: CoachState) -> str:
    step = s.current_step
    parts = [f"Step {s.step_index + 1} of {len(s.routine.steps)}: {step.title}."]
    if s.phase is Phase.RESTING:
        left = s.timer_remaining
        seconds = f", {math.ceil(left - EPS)} seconds left" if left is not None else ""
        parts.append(f"Resting after set {s.set_number} of {step.sets}{seconds}.")
    else:
        if step.sets > 1:
            parts.append(f"Set {s.set_number} of {step.sets}.")
        if step.reps:
            parts.append(f"Rep {s.rep} of {step.reps}.")
        elif step.hold_seconds and s.phase is Phase.HOLDING and s.timer_remaining is not None:
            parts.append(f"{math.ceil(s.timer_remaining - EPS)} seconds left.")
    return " ".join(parts)


def _scoped_corrections(s: CoachState) -> tuple[Correction, ...]:
    return s.current_step.corrections


def _help_text(s: CoachState) -> str:
    commands = "next, repeat, why, pause, or stop"
    if s.phase is Phase.RESTING:
        commands = "skip rest, " + commands
    parts = [f"You can say {commands}."]
    phrases = [_speakable(c.when[0]) for c in _scoped_corrections(s)][:3]
    if phrases:
        parts.append("Or tell me: " + ", or ".join(phrases) + ".")
    if any(is_safety(c) for c in s.routine.corrections):
        parts.append("If anything hurts, say so.")
    return " ".join(parts)


def _miss_hint(s: CoachState) -> str:
    return "Sorry, I didn't catch that. You can say next, repeat, or help."


def _summary(s: CoachState, *, done: bool) -> str:
    elapsed = s.now - (s.started_at if s.started_at is not None else s.now)
    sets = f"{s.sets_done} set{'s' if s.sets_done != 1 else ''}"
    parts = ["That's the routine done." if done else "",
             f"{duration_words(elapsed)}, {sets} done."]
    top = _most_asked(s)
    if top:
        parts.append("You asked most about: " + ", and ".join(top) + ".")
    parts.append("Well done.")
    return " ".join(p for p in parts if p)


def _most_asked(s: CoachState, limit: int = 2) -> list[str]:
    """The first phrase of the corrections asked for most (ties: in routine order).

    Counted by that phrase, not by correction: several steps answer "my heels are
    lifting" each in their own way, and the person asked about one thing.
    """
    by_key = {_key(c): c for c in _all_corrections(s.routine)}
    totals: dict[str, int] = {}
    order: dict[str, int] = {}
    for i, c in enumerate(_all_corrections(s.routine)):
        order.setdefault(_speakable(c.when[0]), i)
    for key, count in s.correction_counts.items():
        if key in by_key:
            phrase = _speakable(by_key[key].when[0])
            totals[phrase] = totals.get(phrase, 0) + count
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], order.get(kv[0], 0)))
    return [phrase for phrase, _ in ranked[:limit]]


def _summary_data(s: CoachState) -> dict[str, Any]:
    elapsed = s.now - (s.started_at if s.started_at is not None else s.now)
    return {"seconds": round(elapsed, 3), "sets_done": s.sets_done,
            "corrections": dict(s.correction_counts)}


# --- small helpers -------------------------------------------------------------------------


def _all_corrections(routine: Routine) -> tuple[Correction, ...]:
    return tuple(c for st in routine.steps for c in st.corrections) + routine.corrections


def _key(correction: Correction) -> str:
    return correction.path or correction.when[0]


def _is_timed(step: Step) -> bool:
    """A step whose sets end by themselves (reps or a hold); others wait for "next"."""
    return bool(step.reps) or bool(step.hold_seconds)


def _speakable(phrase: str) -> str:
    """A phrase as written in a routine, tidied for saying back ("i'm" -> "I'm")."""
    return re.sub(r"\bi\b", "I", phrase)


def _join(prefix: str, text: str) -> str:
    return f"{prefix} {text}" if prefix else text


_Num = TypeVar("_Num", int, float)


def _clamp(value: _Num, low: _Num, high: _Num) -> _Num:
    return max(low, min(high, value))
