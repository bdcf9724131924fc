"""The session's voice: the real Speaker, supervised, and the routine's fixed texts.

Why a wrapper: the session must go on whatever happens to the voice. The
speaker's worker is built never to die, but if it does anyway (a bug, a
crashed native library), every awaited `Say` would wait forever for its end
and the coach's timers would stand still. `SupervisedSpeaker` notices a dead
worker, ends the Says it had (as not completed, so the coach moves on),
reports one line, and starts a new speaker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from voicecoach.coach import estimate_speech_seconds, initial_state, next_deadline, step
from voicecoach.coach.effects import Say
from voicecoach.coach.events import Heard, SpeechDone, Start, Tick
from voicecoach.coach.intents import Intent
from voicecoach.coach.state import Phase
from voicecoach.coach.words import first_sentence
from voicecoach.routine.models import Routine

if TYPE_CHECKING:
    from voicecoach.shell.options import RunOptions
    from voicecoach.shell.session import Session

log = logging.getLogger("voicecoach.shell.mouth")

Notice = Callable[[str], None]


def routine_texts(routine: Routine, rate: int | None = None) -> tuple[str, ...]:
    """Every fixed text a session of `routine` speaks: what to prerender, and to test the gate on.

    Found by running the real coach through the routine on simulated time
    (so "Set 2 of 3. <cue>", the counts and the rest warnings come out exactly
    as spoken), plus each step's why and every correction's answer (full, and
    the short form used during the cooldown).
    """
    texts: dict[str, None] = {}
    state = initial_state(routine, rate=rate)
    now = 0.0
    state, effects = step(state, Start(now))
    for _ in range(20_000):
        awaited = []
        for effect in effects:
            if isinstance(effect, Say):
                texts.setdefault(effect.text)
                if effect.awaited:
                    awaited.append(effect)
        if state.finished:
            break
        if awaited:
            say = awaited[-1]
            now += estimate_speech_seconds(say.text, say.rate)
            state, effects = step(state, SpeechDone(now, say.id))
        elif state.phase is Phase.WAITING:
            now += 0.5
            state, effects = step(state, Heard(now, "next", Intent.command("next"), 1.0, "key"))
        else:
            deadline = next_deadline(state)
            now = max(now + 0.01, deadline if deadline is not None else now + 1.0)
            state, effects = step(state, Tick(now))
    for s in routine.steps:
        if s.why:
            texts.setdefault(s.why)
    for correction in [c for s in routine.steps for c in s.corrections] + list(routine.corrections):
        texts.setdefault(correction.say)
        texts.setdefault(first_sentence(correction.say))
    return tuple(t for t in texts if t.strip())


class SupervisedSpeaker:
    """A `Speaker` that is replaced if its worker thread ever dies (see module docstring)."""

    def __init__(self, make: Callable[[Callable[..., None], Callable[..., None]], Any],
                 session: Session, clock: Callable[[], float] = time.monotonic) -> None:
        self._make = make
        self._session = session
        self._clock = clock
        self._lock = threading.Lock()
        self._open: set[int] = set()
        """Say ids given to the current speaker and not ended yet."""
        self.restarts = 0
        self._speaker = self._new()

    def _new(self) -> Any:
        return self._make(self._started, self._ended)

    def _started(self, say_id: int, t: float) -> None:
        self._session.speech_started(say_id, t)

    def _ended(self, say_id: int, t: float, completed: bool) -> None:
        with self._lock:
            self._open.discard(say_id)
        self._session.speech_ended(say_id, t, completed)

    @property
    def speaker(self) -> Any:
        return self._speaker

    def check(self) -> None:
        """Called now and then by the session: restart a dead worker."""
        thread = getattr(self._speaker, "_thread", None)
        if thread is None or thread.is_alive():
            return
        with self._lock:
            orphans = sorted(self._open)
            self._open.clear()
        now = self._clock()
        for say_id in orphans:
            self._session.speech_ended(say_id, now, False)
        self.restarts += 1
        log.error("speaker worker died; restarting it (restart %d)", self.restarts)
        self._session.report("warning", "the voice stopped; restarted it")
        self._speaker = self._new()

    def say(self, effect: Say) -> None:
        self.check()
        with self._lock:
            self._open.add(effect.id)
        self._speaker.say(effect)

    def hush(self) -> None:
        self._speaker.hush()

    def duck(self, gain: float) -> None:
        """Lower the voice while someone talks over it (`voicecoach.shell.ears.Ears.duck`)."""
        self._speaker.duck(gain)

    def beep(self, kind: str) -> None:
        self._speaker.beep(kind)

    def prerender(self, texts: Iterable[str], rate: int | None = None) -> Any:
        return self._speaker.prerender(texts, rate)

    def wait_idle(self, timeout: float) -> bool:
        return bool(self._speaker.wait_idle(timeout))

    def close(self) -> None:
        self._speaker.close()


def speaker_factory(routine: Routine, opts: RunOptions, note: Notice,
                    reference: Any = None) -> Callable[[Session], SupervisedSpeaker]:
    """A factory the Session calls with itself, so the speaker's callbacks reach it.

    `reference`: an `EchoReference` that hears every block played (echo cancellation).
    """
    from voicecoach.voice.settings import VoiceSettings
    from voicecoach.voice.speaker import Speaker

    rate = opts.rate or routine.settings.rate
    settings = VoiceSettings(
        voice=opts.voice or VoiceSettings.voice,
        rate=rate,
        volume=1.0 if opts.volume is None else opts.volume,
        device=opts.speaker,
    )

    def build(session: Session) -> SupervisedSpeaker:
        def make(on_start: Callable[..., None], on_end: Callable[..., None]) -> Any:
            return Speaker(
                settings,
                on_start=on_start,
                on_end=on_end,
                on_warning=lambda text: session.report("warning", text),
                on_recovered=lambda text: session.report("speaker", text),
                on_play=reference.push if reference is not None else None,
                on_flush=reference.cut if reference is not None else None,
            )

        supervised = SupervisedSpeaker(make, session)
        # Fixed texts into the disk cache, in the speaker's background pool, so
        # each cue starts sounding at once; a miss still works, just later.
        supervised.prerender(routine_texts(routine, rate), rate)
        return supervised

    return build
