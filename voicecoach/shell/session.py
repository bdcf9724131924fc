"""The session shell: the one owner of the coach state, and the performer of its effects.

Theory of operation
-------------------
The coach (`voicecoach.coach.step`) is pure; everything with a thread, a clock
or a device lives here, around it. One thread, "coach", owns the state. It
pulls items from one `queue.Queue` (key presses, typed text, recognizer
hypotheses, speaker start/end callbacks, requests from other threads), sends
`Tick(now)` every `tick_seconds`, calls `step()`, performs the effects, and
tells the listeners (the TUI, the plain printer). Nobody else ever calls
`step()`, so the state needs no lock; other threads read `session.state`, a
single reference swap, and see one consistent value.

The edges only queue: the audio callback queues chunks for the recognizer
thread, the recognizer thread queues hypotheses, the speaker's worker thread
queues "started"/"ended". Nothing blocks the coach thread but its own queue.

Without a speaker (`--mute`, keyboard tests) a `SilentSpeaker` stands in: it
keeps a virtual timeline on the session clock and reports each awaited `Say`
as done at its estimated end, so the coach's timers behave as with a voice.
The clock is injectable (`clock=`), so tests can drive time by hand.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Protocol

from voicecoach.coach import effect_records, estimate_speech_seconds, initial_state, intents, step
from voicecoach.coach.effects import Beep, Effect, Finish, Hush, Say, Show
from voicecoach.coach.events import Event, Heard, SpeechDone, Start, Tick
from voicecoach.coach.state import CoachState, Phase
from voicecoach.routine.models import Routine
from voicecoach.shell.hearing import HearingTally, hearing_note
from voicecoach.tui.port import SessionListener

log = logging.getLogger("voicecoach.shell.session")

Clock = Callable[[], float]

#: Who said it, as the coach's `Heard.source` expects; `system` is the shell itself
#: (auto-pause when the mic is lost, auto-resume when it returns).
SOURCES = ("voice", "key", "text", "system")


# --- speakers ------------------------------------------------------------------------


class SpeakerPort(Protocol):
    """What the shell needs from a voice: the real `voicecoach.voice.Speaker` or `SilentSpeaker`."""

    def say(self, effect: Say) -> None: ...

    def hush(self) -> None: ...

    def beep(self, kind: str) -> None: ...

    def prerender(self, texts: Iterable[str], rate: int | None = None) -> Any: ...

    def close(self) -> None: ...


StartCallback = Callable[[int, float], None]
"""`on_start(say_id, t)`: the first sample of `say_id` sounded at `t` (speaker's clock)."""
EndCallback = Callable[[int, float, bool], None]
"""`on_end(say_id, t, completed)`: every Say ends exactly once, spoken, cut or dropped."""


class SilentSpeaker:
    """A voice that makes no sound but keeps time: says start and end on a virtual timeline.

    Same callbacks as `voicecoach.voice.Speaker`, and its rules where they
    matter to the coach: one utterance at a time, a higher priority cuts a
    lower one, `hush` cuts and drops everything, a say that cannot start by
    `expires_at` is dropped. Ends are reported from `poll(now)`, which the
    coach thread calls on every tick, so an injected clock drives it.
    """

    def __init__(self, on_start: StartCallback, on_end: EndCallback, clock: Clock) -> None:
        self._on_start = on_start
        self._on_end = on_end
        self._clock = clock
        self._current: tuple[Say, float] | None = None
        """The utterance "sounding" now and its end time."""
        self._queue: deque[Say] = deque()
        self._lock = threading.Lock()

    def say(self, effect: Say) -> None:
        with self._lock:
            now = self._clock()
            if self._current is not None and effect.priority > self._current[0].priority:
                cut = self._current[0]
                self._current = None
                dropped = list(self._queue)
                self._queue.clear()
                self._on_end(cut.id, now, False)
                for old in dropped:
                    self._on_end(old.id, now, False)
            self._queue.append(effect)
            self._advance(now)

    def hush(self) -> None:
        with self._lock:
            now = self._clock()
            dropped = list(self._queue)
            self._queue.clear()
            current, self._current = self._current, None
        if current is not None:
            self._on_end(current[0].id, now, False)
        for effect in dropped:
            self._on_end(effect.id, now, False)

    def beep(self, kind: str) -> None:
        """Silent: a beep takes no time on the timeline."""

    def prerender(self, texts: Iterable[str], rate: int | None = None) -> None:
        """Nothing to render."""

    def poll(self, now: float) -> None:
        with self._lock:
            self._advance(now)

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._queue)

    def close(self) -> None:
        self.hush()

    def _advance(self, now: float) -> None:
        while True:
            if self._current is not None:
                effect, end = self._current
                if now < end:
                    return
                self._current = None
                self._on_end(effect.id, end, True)
                start = end
            else:
                start = now
            if not self._queue:
                return
            nxt = self._queue.popleft()
            if nxt.expires_at is not None and start > nxt.expires_at:
                self._on_end(nxt.id, start, False)
                continue
            self._current = (nxt, start + estimate_speech_seconds(nxt.text, nxt.rate))
            self._on_start(nxt.id, start)


# --- what the session is wired to (built by voicecoach.shell.wiring) -------------------------


class RecorderPort(Protocol):
    """Where records go for good: `voicecoach.session_log.SessionRecorder`."""

    def record(self, record: Mapping[str, Any]) -> None: ...

    def end(self, reason: str, *, steps_done: int | None = None,
            sets_done: int | None = None) -> None: ...


class EarsPort(Protocol):
    """The listening side as the shell sees it; `voicecoach.shell.wiring` builds the real one."""

    engine_name: str

    def start(self, session: Session) -> None: ...

    def set_phrases(
        self, phrases: tuple[str, ...], meanings: dict[str, str] | None = None
    ) -> None: ...

    def speaking_started(self, t: float, text: str = "") -> None: ...

    def speaking_ended(self, t: float) -> None: ...

    def close(self) -> None: ...


# --- the session ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """One thing for the coach thread to do; `kind` picks the handler."""

    kind: str
    payload: Any = None
    at: float | None = None


_STOP = _Item("stop")

CHECK_SECONDS = 1.0
"""How often the coach thread asks the speaker and ears to restart a dead thread."""

HEALTH_SECONDS = 60.0
"""Seconds between `health` records: enough to see a leak or a dead thread over a morning."""

LINGER_SECONDS = 5.0
"""Default quiet seconds between the end of the last input and the end of the session:
time for the last words of a recording to be answered."""

_INPUT_WORDS = {"keyboard": "typed input", "screen": "keys", "voice": "speech input"}
"""How the status line names an input that is still open."""

_EVENT_LOG_ONLY = frozenset({"speech_start", "speech_end", "health"})
"""Record kinds for the event log file only: timing detail, not history worth an fsync."""

#: Typed shortcuts (plain mode, tests): the TUI's keys, as words.
COMMAND_KEYS: Mapping[str, str] = {
    "n": "next", " ": "next", "b": "back", "r": "repeat", "p": "pause", "w": "why",
    "s": "status", "h": "help", "?": "help", "+": "faster", "-": "slower", "q": "stop",
    "k": "skip_rest",
}


class Session:
    """One run of a routine: implements `voicecoach.tui.port.SessionPort`.

    Build it, `add_listener`, `start()`, feed it with `send_command`/`send_text`
    (keys) or let the ears feed it, and `close()` it (idempotent). The session
    ends by itself when the coach says `Finish`; `wait_finished()` waits for it.
    """

    def __init__(
        self,
        routine: Routine,
        *,
        clock: Clock = time.monotonic,
        speaker: SpeakerPort | None = None,
        speaker_factory: Callable[[Session], SpeakerPort] | None = None,
        ears: EarsPort | None = None,
        rate: int | None = None,
        beeps: bool | None = None,
        event_log: Path | IO[str] | None = None,
        recorder: RecorderPort | None = None,
        tick_seconds: float = 0.05,
        engine_name: str | None = None,
        user: str | None = None,
    ) -> None:
        self.routine = routine
        self.user = user
        """The enrolled voice the ears hear with (`--user`), for the end-of-session advice."""
        self._hearing = HearingTally()
        self._clock = clock
        self._state: CoachState = initial_state(routine, rate=rate, beeps=beeps)
        self._tick_seconds = tick_seconds
        self._inbox: queue.Queue[_Item] = queue.Queue()
        self._listeners: list[SessionListener] = []
        self._ears = ears
        self._engine_name = engine_name or (ears.engine_name if ears is not None else "text")
        self._recorder = recorder
        self._event_log_file: IO[str] | None = None
        self._owns_event_log = False
        if isinstance(event_log, Path):
            event_log.parent.mkdir(parents=True, exist_ok=True)
            # Line-buffered: a crash loses at most the line being written.
            self._event_log_file = event_log.open("w", encoding="utf-8", buffering=1)
            self._owns_event_log = True
        elif event_log is not None:
            self._event_log_file = event_log
        self._speaking: set[int] = set()
        self._says: dict[int, Say] = {}
        """Says given to the speaker and not ended yet, by id (the speaker reports ids)."""
        self._speaking_lock = threading.Lock()
        self._quiet = threading.Event()
        self._quiet.set()
        if speaker is not None:
            self._speaker: SpeakerPort = speaker
            self._silent: SilentSpeaker | None = None
        elif speaker_factory is not None:
            self._speaker = speaker_factory(self)
            self._silent = None
        else:
            self._silent = SilentSpeaker(self.speech_started, self.speech_ended, clock)
            self._speaker = self._silent
        self._thread: threading.Thread | None = None
        self._started_at: float | None = None
        self._finished = threading.Event()
        self._closed = threading.Event()
        self._close_lock = threading.Lock()
        self._phrases_for: int | None = None
        self._auto_paused = False
        self.finish_reason: str | None = None
        """`done` or `stop` once the coach said `Finish`."""
        self.end_reason = "interrupted"
        """Why the session ends if the coach did not finish it (set by the runner)."""
        self._closers: list[Callable[[], None]] = []
        self._inputs: set[str] = set()
        """Inputs still open (`keyboard`, `voice`, `screen`): words can still arrive."""
        self._inputs_gone_at: float | None = None
        """When the last open input ended; the session ends `linger_seconds` of quiet later."""
        self._quiet_since: float | None = None
        self._ending_for_input = False
        self.linger_seconds = LINGER_SECONDS
        """Quiet seconds after the last input ended before the session ends (`--linger`)."""
        self.health_seconds = HEALTH_SECONDS
        """How often a `health` record (threads, memory) goes to the logs."""
        self.crashes: list[str] = []
        """One line per crash the session survived (a listener, the ears, the speaker)."""

    # --- SessionPort ------------------------------------------------------------------

    @property
    def state(self) -> CoachState:
        return self._state

    @property
    def hearing_note(self) -> str | None:
        """How well the person was heard, and what would help, once that is worth saying."""
        return hearing_note(self._hearing, self._engine_name, self.user)

    @property
    def engine_name(self) -> str:
        return self._engine_name

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    @property
    def audible(self) -> bool:
        """True when a real speaker plays the coach's words (not `--mute`, not keys-only tests)."""
        return self._silent is None

    def add_listener(self, listener: SessionListener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._started_at = self._clock()
        self._write_record({"t": 0.0, "kind": "session_start", "clock": round(self._started_at, 4),
                            "routine": self.routine.name, "engine": self._engine_name})
        # Start is queued before the thread runs, so no Tick can reach the coach first.
        self._inbox.put(_Item("event", Start(self._started_at)))
        self._thread = threading.Thread(target=self._run, name="coach", daemon=True)
        self._thread.start()
        self._notify("on_status", "engine", self._engine_name)
        if self._ears is not None:
            try:
                self._ears.start(self)
            except Exception as exc:  # a device problem must not stop a keyboard session
                self.report("warning", f"not listening: {_one_line(exc)}")
            else:
                self.input_opened("voice")

    def send_command(self, name: str, source: str = "key") -> None:
        if name not in self.routine.commands:
            raise ValueError(f"unknown command {name!r}")
        self._inbox.put(_Item("command", (name, source), self._clock()))

    def send_text(self, text: str, source: str = "text") -> None:
        self._inbox.put(_Item("text", (text, 1.0, source), self._clock()))

    def input_opened(self, name: str) -> None:
        """An input that can bring words (`keyboard`, `voice`, `screen`) is open."""
        self._inbox.put(_Item("input", (name, True, "")))

    def input_ended(self, name: str, why: str) -> None:
        """That input will bring no more words (end of file, end of typed input).

        When it was the last one open, nobody can say "next" or "stop" any more:
        after `linger_seconds` of quiet the session ends the way "stop the
        session" does (summary, log saved), with one line saying why.
        """
        self._inbox.put(_Item("input", (name, False, why)))

    def note_end(self, reason: str) -> None:
        """What the person did to end a session the coach did not finish (`quit`: q in the
        TUI), so the log says that rather than `interrupted`."""
        self.end_reason = reason

    def on_close(self, fn: Callable[[], None]) -> None:
        """Run `fn` at the end of `close()` (e.g. close the session log file)."""
        self._closers.append(fn)

    def close(self) -> None:
        with self._close_lock:
            if self._closed.is_set():
                return
            self._closed.set()
        if self._ears is not None:
            _safely("closing the ears", self._ears.close)
        if self._thread is not None and self._thread.is_alive():
            self._inbox.put(_STOP)
            if threading.current_thread() is not self._thread:
                self._thread.join(timeout=3.0)
        _safely("closing the speaker", self._speaker.close)
        reason = self.finish_reason or self.end_reason
        self._write_record({"t": self._rel(self._clock()), "kind": "session_end",
                            "reason": reason})
        if self._recorder is not None:
            recorder = self._recorder
            state = self._state
            _safely("saving the session log", lambda: recorder.end(
                reason, steps_done=_steps_done(state), sets_done=state.sets_done))
        if self._event_log_file is not None:
            _safely("closing the event log", self._event_log_file.flush)
            if self._owns_event_log:
                _safely("closing the event log", self._event_log_file.close)
        for fn in self._closers:
            _safely("closing", fn)
        self._finished.set()

    # --- used by the ears, the plain mode and tests (thread-safe) ----------------------

    def hear(self, text: str, confidence: float, *, source: str = "voice",
             accepted: bool = True, at: float | None = None, reason: str = "",
             in_talk: bool = False) -> None:
        """A recognizer result. `accepted=False`: the recognizer rejected it (noise, low score).

        Rejected results are logged and shown but never reach the coach as
        words: the coach sees an unrecognised utterance only through `Heard`
        with no intent, and counts misses; noise must not count as a miss.
        `in_talk`: it began amid other talk (`Hypothesis.in_talk`), so its rejection
        says nothing about how well the person is heard.
        """
        when = self._clock() if at is None else at
        if accepted:
            self._inbox.put(_Item("heard", (text, confidence, source), when))
        else:
            self._inbox.put(_Item("rejected", (text, confidence, source, reason, in_talk), when))

    def record(self, kind: str, **data: Any) -> None:
        """A shell record for the logs from any thread (`ready`, `device`...); `t` is added."""
        self._inbox.put(_Item("record", (kind, data)))

    def report(self, kind: str, text: str) -> None:
        """A status line from any thread (`warning`, `error`, `mic`, ...)."""
        self._inbox.put(_Item("status", (kind, text)))

    def mic_lost(self, text: str = "microphone lost: paused until it returns") -> None:
        self._inbox.put(_Item("mic", (False, text)))

    def mic_back(self, text: str = "microphone back: listening") -> None:
        self._inbox.put(_Item("mic", (True, text)))

    def level(self, dbfs: float) -> None:
        """Mic level from the audio side: straight to the listeners (not through the coach)."""
        self._notify("on_level", dbfs)

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the coach thread (for work that must see a settled state)."""
        self._inbox.put(_Item("call", fn))

    def sync(self, timeout: float = 5.0) -> bool:
        """Tick once, and wait until everything queued so far has been handled.

        With an injected clock this makes a test deterministic: move the clock,
        `sync()`, assert. False on timeout.
        """
        if self._thread is None or not self._thread.is_alive():
            return False
        done = threading.Event()

        def hop(left: int) -> None:
            # Re-queue behind whatever the tick and its callbacks queued meanwhile
            # (a silent say ending queues its SpeechDone), a few times over.
            if left == 0:
                done.set()
            else:
                self._inbox.put(_Item("call", lambda: hop(left - 1)))

        self._inbox.put(_Item("tick"))
        self._inbox.put(_Item("call", lambda: hop(3)))
        return done.wait(timeout)

    def wait_finished(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    def wait_quiet(self, timeout: float) -> bool:
        """Wait until nothing is being spoken (used to let the last words out before exit)."""
        return self._quiet.wait(timeout)

    # --- the coach thread --------------------------------------------------------------

    def _run(self) -> None:
        next_tick = time.monotonic()
        next_check = next_tick + CHECK_SECONDS
        next_health = next_tick + self.health_seconds
        while True:
            wait = max(0.0, next_tick - time.monotonic())
            try:
                item: _Item | None = self._inbox.get(timeout=wait)
            except queue.Empty:
                item = None
            if item is _STOP:
                return
            try:
                if item is not None:
                    self._handle(item)
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + self._tick_seconds
                    self._tick()
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + CHECK_SECONDS
                    self._check_parts()
                if time.monotonic() >= next_health:
                    next_health = time.monotonic() + self.health_seconds
                    self._record({"t": self._rel(self._clock()), "kind": "health", **health()})
            except Exception as exc:
                # A bug in one effect or listener must not end the session; it is
                # logged with its traceback and shown as one line.
                log.exception("coach thread: %s", exc)
                self.crashes.append(f"coach: {_one_line(exc)}")
                self._notify("on_status", "error", f"internal error: {_one_line(exc)}")

    def _check_parts(self) -> None:
        """Let the speaker and ears restart a dead thread (each knows how)."""
        for part in (self._speaker, self._ears):
            check = getattr(part, "check", None)
            if check is not None:
                _safely("checking a part", check)

    def _tick(self) -> None:
        now = self._clock()
        if self._silent is not None:
            self._silent.poll(now)
        # Not before Start (a device warning may be queued ahead of it), not after the end.
        if self._state.phase is not Phase.IDLE and not self._state.finished:
            self._step(Tick(now))
            self._end_if_no_input(now)

    def _handle(self, item: _Item) -> None:
        now = self._clock() if item.at is None else max(item.at, self._state.now)
        if item.kind == "event":
            self._step(item.payload)
        elif item.kind == "command":
            name, source = item.payload
            command = intents.Intent.command(name)
            self._heard(Heard(now, command.phrase, command, 1.0, source))
        elif item.kind in ("text", "heard"):
            text, confidence, source = item.payload
            if item.kind == "heard" and source == "voice":
                self._hearing.understood += 1
            typed = text.strip()
            name = COMMAND_KEYS.get(typed.lower()) if item.kind == "text" else None
            intent: intents.Intent | None
            if name is not None:
                intent = intents.Intent.command(name)
                typed = intent.phrase
            else:
                intent = intents.match(self.routine, self._state.step_index, typed)
            self._heard(Heard(now, typed, intent, confidence, source))
        elif item.kind == "rejected":
            text, confidence, source, reason, in_talk = item.payload
            # Words the recognizer could not place, not a bump or the music (no words), nor
            # the gate's drop of whatever overlapped the coach's voice (its own words), nor
            # anything said inside other talk (a radio's sentences; a command said mid-talk
            # was heard well): enrolling would help none of those.
            if (source == "voice" and text.strip() and not in_talk
                    and reason not in ("gated", "after-talk")):
                self._hearing.missed += 1
            # The coach records what reaches it; a recognizer-level rejection does not.
            record = {"t": self._rel(now), "kind": "heard", "text": text, "intent": None,
                      "phrase": None, "confidence": round(confidence, 3), "source": source,
                      "outcome": "rejected", "by": "recognizer", "reason": reason or "rejected"}
            if in_talk:
                record["in_talk"] = True
            self._record(record)
            # A command said inside other talk is shown as such: "not understood" would be
            # wrong, and the person should learn to pause first.
            shown = "after-talk" if reason == "after-talk" else "rejected"
            self._notify("on_heard", text, confidence, shown, None)
        elif item.kind == "said":
            phase, say_id, t, completed, effect = item.payload
            record = {"t": self._rel(now), "kind": f"speech_{phase}", "say_id": say_id,
                      "at": round(t, 4)}
            if phase == "end":
                record["completed"] = completed
            self._record(record)
            if phase == "end" and effect is not None and effect.awaited:
                self._step(SpeechDone(now, say_id))
        elif item.kind == "record":
            kind, data = item.payload
            self._record({"t": self._rel(now), "kind": kind, **data})
        elif item.kind == "status":
            self._notify("on_status", *item.payload)
        elif item.kind == "mic":
            self._mic(now, *item.payload)
        elif item.kind == "input":
            self._input(now, *item.payload)
        elif item.kind == "tick":
            self._tick()
        elif item.kind == "call":
            item.payload()
        else:  # pragma: no cover - a programming error, loud on purpose
            raise ValueError(f"unknown inbox item {item.kind!r}")

    def _heard(self, event: Heard) -> None:
        self._quiet_since = None
        self._step(event)

    def _input(self, now: float, name: str, is_open: bool, why: str) -> None:
        if is_open:
            self._inputs.add(name)
            self._inputs_gone_at = None
            return
        if name not in self._inputs:
            return
        self._inputs.discard(name)
        left = sorted(self._inputs)
        self._record({"t": self._rel(now), "kind": "input_end", "input": name, "why": why,
                      "open": left})
        if left:
            words = " and ".join(_INPUT_WORDS.get(n, n) for n in left)
            self._notify("on_status", "input", f"{why}; {words} still work{'s' * (len(left) < 2)}")
            return
        self._inputs_gone_at = now
        self._notify("on_status", "input", f"{why}; no input left: the session ends after "
                                           f"{self.linger_seconds:g} s of quiet")

    def _end_if_no_input(self, now: float) -> None:
        """No input left: after `linger_seconds` of quiet, stop as "stop the session" does."""
        if self._inputs_gone_at is None or self._ending_for_input:
            return
        if not self._quiet.is_set():
            self._quiet_since = None
            return
        if self._quiet_since is None:
            self._quiet_since = max(now, self._inputs_gone_at)
        if now - self._quiet_since < self.linger_seconds:
            return
        self._ending_for_input = True
        stop = intents.Intent.command("stop", "stop the session")
        self._step(Heard(now, "end of input", stop, 1.0, "system"))

    def _mic(self, now: float, present: bool, text: str) -> None:
        self._notify("on_status", "mic", text)
        self._record({"t": self._rel(now), "kind": "mic", "present": present})
        if not present and not self._state.paused and not self._state.finished:
            self._auto_paused = True
            intent = intents.Intent.command("pause")
            self._step(Heard(now, intent.phrase, intent, 1.0, "system"))
        elif present and self._auto_paused:
            self._auto_paused = False
            if self._state.paused and not self._state.finished:
                intent = intents.Intent.command("resume")
                self._step(Heard(now, intent.phrase, intent, 1.0, "system"))

    def _step(self, event: Event) -> CoachState:
        before = self._state
        after, effects = step(before, event)
        self._state = after
        if isinstance(event, Heard):
            # What was heard is shown before what it caused.
            last = after.last_heard
            outcome = last.outcome if last is not None else (
                "accepted" if event.intent else "rejected")
            kind = event.intent.kind if event.intent is not None else None
            self._notify("on_heard", event.text, event.confidence, outcome, kind)
        # Speak first, log after: the session log fsyncs each record, and that
        # must never sit between hearing a command and answering it.
        for effect in effects:
            self._perform(effect)
        if effects:
            self._record_many(effect_records(effects, self._rel(after.now)))
        if after.step_index != self._phrases_for or self._phrases_for is None:
            self._phrases_for = after.step_index
            if self._ears is not None:
                _safely("switching phrases", lambda: self._ears.set_phrases(  # type: ignore[union-attr]
                    intents.listen_phrases(self.routine, after.step_index),
                    intents.listen_meanings(self.routine, after.step_index)))
        if effects or replace(before, now=after.now) != after:
            self._notify("on_state", after, tuple(effects))
        if after.paused != before.paused:
            self._notify("on_status", "paused" if after.paused else "listening",
                         "paused" if after.paused else "listening")
        return after

    def _perform(self, effect: Effect) -> None:
        if isinstance(effect, Say):
            with self._speaking_lock:
                self._says[effect.id] = effect
                self._quiet.clear()
            self._speaker.say(effect)
        elif isinstance(effect, Hush):
            self._speaker.hush()
        elif isinstance(effect, Beep):
            # The coach emits beeps only when they are on (flag, config or routine).
            _safely("beeping", lambda: self._speaker.beep(effect.kind))
        elif isinstance(effect, Finish):
            self.finish_reason = "input_end" if self._ending_for_input else effect.reason
            self._notify("on_status", "ended", self.finish_reason)
            self._finished.set()
        elif isinstance(effect, Show):
            pass  # every step already notifies on_state

    # --- speaker callbacks (any thread) ------------------------------------------------

    def speech_started(self, say_id: int, t: float) -> None:
        """Speaker callback (any thread): the first sample of `say_id` sounded at `t`."""
        with self._speaking_lock:
            self._speaking.add(say_id)
            effect = self._says.get(say_id)
        # A silent speaker makes no sound the mic could hear: nothing to gate.
        if self._ears is not None and self._silent is None:
            words = effect.text if effect is not None else ""
            _safely("gating the mic",
                    lambda: self._ears.speaking_started(t, words))  # type: ignore[union-attr]
        if self._silent is None:
            # Under --mute nothing sounds: the screen must not say SPEAKING.
            self._notify("on_status", "speaking", effect.text if effect is not None else "")
        self._inbox.put(_Item("said", ("start", say_id, t, True, effect)))

    def speech_ended(self, say_id: int, t: float, completed: bool) -> None:
        """Speaker callback (any thread): `say_id` ended at `t` (spoken, cut or dropped)."""
        with self._speaking_lock:
            was_speaking = say_id in self._speaking
            self._speaking.discard(say_id)
            effect = self._says.pop(say_id, None)
            if not self._says:
                self._quiet.set()
        if self._ears is not None and was_speaking and self._silent is None:
            _safely("ungating the mic", lambda: self._ears.speaking_ended(t))  # type: ignore[union-attr]
        self._inbox.put(_Item("said", ("end", say_id, t, completed, effect)))
        if was_speaking and not self._speaking:
            self._notify("on_status", "paused" if self._state.paused else "listening", "")

    # --- records -----------------------------------------------------------------------

    def _rel(self, now: float) -> float:
        return round(now - (self._started_at or 0.0), 3)

    def _record(self, record: dict[str, Any]) -> None:
        self._write_record(record)

    def _record_many(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self._write_record(record)

    def _write_record(self, record: dict[str, Any]) -> None:
        """One record to the event log file (flushed per line) and the session log."""
        if self._event_log_file is not None:
            try:
                self._event_log_file.write(json.dumps(record, default=str) + "\n")
                self._event_log_file.flush()
            except (OSError, ValueError) as exc:
                log.warning("event log: %s", exc)
        if self._recorder is not None and record.get("kind") not in _EVENT_LOG_ONLY:
            stored = dict(record)
            if stored.get("kind") == "heard" and stored.get("source", "voice") == "voice":
                stored.setdefault("engine", self._engine_name)
            recorder = self._recorder
            _safely("writing the session log", lambda: recorder.record(stored))

    def _notify(self, method: str, *args: Any) -> None:
        for listener in list(self._listeners):
            fn = getattr(listener, method, None)
            if fn is None:
                continue
            try:
                fn(*args)
            except Exception as exc:
                # A broken screen must not stop the coaching.
                log.exception("listener %s.%s failed", type(listener).__name__, method)
                self.crashes.append(f"listener: {_one_line(exc)}")


def health() -> dict[str, Any]:
    """Threads alive and resident memory: what a soak run watches."""
    rss_kb = 0
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss_kb = int(line.split()[1])
    except OSError:
        pass  # not Linux: memory is not reported
    return {"threads": sorted(t.name for t in threading.enumerate()),
            "rss_mb": round(rss_kb / 1024, 1)}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _safely(what: str, fn: Callable[[], Any]) -> None:
    """Run a clean-up or side step; a failure is logged, never raised (it is not the user's)."""
    try:
        fn()
    except Exception:
        log.exception("%s failed", what)


def _steps_done(state: CoachState) -> int:
    """Steps finished: all of them when done, else the ones before the current step."""
    if state.phase.value == "done":
        return len(state.routine.steps)
    return state.step_index


__all__ = [
    "COMMAND_KEYS",
    "EarsPort",
    "Session",
    "SilentSpeaker",
    "SpeakerPort",
]
