"""The session's ears: an audio source and a gated recognizer in one supervised thread.

Theory of operation
-------------------
Audio arrives in the source's own thread (PortAudio's callback, or a WAV
reader pacing itself in real time) and is only queued there. One thread,
"listen", owns the recognizer: it takes chunks from the source, applies the
latest phrase set (the coach thread asks for a switch on every step change;
the switch happens here, between chunks, because the recognizer is not
thread-safe), feeds a `voicecoach.speech.Listener` (the recognizer judged by
the `MicGate`: what begins while the coach speaks is its own voice, except a
confident barge-in), and hands each hypothesis to `session.hear()`. The
session maps words to intents on its own thread, so "which step are we in" is
always answered by the state owner.

Sources, the gate and the recognizers are the speech layer's
(`voicecoach.speech`); this module only orchestrates them for a session.

Faults: a mic that cannot be opened or that dies mid-session makes the
session pause ("mic" status) and the listen thread retry every
`retry_seconds`; when it opens again the session resumes by itself. If the
listen thread itself dies (a bug, a native crash surfacing as an exception),
`check()` (called by the session every second) logs it and starts a new one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voicecoach.errors import VoicecoachError
from voicecoach.speech.audio import MicSource, Source, WavSource, level_dbfs
from voicecoach.speech.base import SAMPLE_RATE
from voicecoach.speech.gate import Listener, MicGate
from voicecoach.speech.hypothesis import Hypothesis

if TYPE_CHECKING:
    from voicecoach.routine.models import Routine
    from voicecoach.shell.options import RunOptions
    from voicecoach.shell.session import Session
    from voicecoach.speech.base import Recognizer
    from voicecoach.speech.echo import EchoCanceller, ResidualGate

log = logging.getLogger("voicecoach.shell.ears")

LEVEL_EVERY = 0.125
"""Seconds between mic level reports (the meter wants ~8 a second)."""

KEEP_SECONDS = 8.0
"""Seconds of recent audio held for `--keep-audio`: longer than any utterance (6 s cap)."""
KEEP_MARGIN = 0.2
"""Seconds kept either side of a rejected utterance, so its first and last sounds are whole."""

DUCK_GAIN = 0.1
"""Yielding the floor: the coach's voice while someone talks over it (-20 dB). A pause (0.0)
measured the same (bench/echo.md, fifth round), and a duck for a cough or a word to a
training partner leaves the cue audible instead of stopping it."""
DUCK_DECIDE_S = 0.5
"""Seconds into an utterance over the coach during which it may still make the coach duck (a
late rise in a long utterance is not someone starting to talk)."""
DUCK_OVER_ECHO_DB = -3.0
"""An utterance ducks the coach once its loudest frames stand this far over the coach's
(`ResidualGate.over_echo`; the leftover's own utterances scored <= -4.8 dB: bench/echo.md)."""
DUCK_WAIT_S = 0.4
"""Seconds a duck waits for the recognizer to open an utterance before the voice comes back."""
DUCK_MAX_S = 6.5
"""The longest a duck lasts: the recognizer's longest utterance (6 s) and a little."""

Notice = Callable[[str], None]
KeepAudio = Callable[[bytes, dict[str, Any]], None]
"""Takes a rejected utterance (16 kHz mono int16) and what was heard; must not block."""


Phrases = tuple[tuple[str, ...], dict[str, str] | None]
"""A phrase set and its meanings (see `Recognizer.set_phrases`)."""


@dataclass
class _Pending:
    phrases: Phrases | None = None


@dataclass
class Duck:
    """One time the coach yielded the floor (`Ears._yield_floor`), kept in `Ears.ducks`.

    Why kept: the benchmark (scripts/bench_echo.py) and the loop tests judge the duck by it:
    how often the voice dipped with nobody talking, how late after the speech's onset, and
    whether what followed was a command. Filled in as the duck goes on (listen thread).
    """

    at: float
    """When it was decided (the listen thread's clock)."""
    score: float
    """dB the deciding frames stood over the coach's (`ResidualGate.over_echo`)."""
    seen: float
    """Where the frames that decided it begin."""
    spoke: bool = False
    """The recognizer heard speech while ducked (an utterance opened)."""
    onset: float | None = None
    """Onset of the first utterance decided while ducked, its text and the gate's reason."""
    heard: str | None = None
    reason: str | None = None
    ended: float | None = None
    """When the voice came back, or the command's hush took over."""
    outcome: str | None = None
    """"command" (a command was taken: it hushed the coach) or "restored"."""


class Ears:
    """Source + recognizer + gate, in one supervised "listen" thread (see module docstring).

    `open_source()` gives a source (it may give the same one again after a
    failure); the listen thread `open()`s it, and `close()`s it when it dies.
    """

    def __init__(
        self,
        *,
        engine_name: str,
        make_recognizer: Callable[[], Recognizer],
        open_source: Callable[[], Source],
        gate: MicGate | None = None,
        retry_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        keep_audio: KeepAudio | None = None,
        canceller: EchoCanceller | None = None,
    ) -> None:
        self.engine_name = engine_name
        self._make_recognizer = make_recognizer
        self._open_source = open_source
        self.gate = gate if gate is not None else MicGate()
        self._retry = retry_seconds
        self._clock = clock
        self._session: Session | None = None
        self._phrases_lock = threading.Lock()
        self._pending = _Pending()
        self._current_phrases: Phrases | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._source: Source | None = None
        self.restarts = 0
        self.crashes: list[str] = []
        self.ready_at: float | None = None
        """Monotonic time the first chunk reached the recognizer (ready to listen)."""
        self.ready = threading.Event()
        self.heard_count = 0
        self._keep_audio = keep_audio
        self._recent: deque[tuple[float, bytes]] = deque()
        """(clock time the chunk was fed, chunk): only filled when keeping audio."""
        self.canceller: EchoCanceller | None = None
        self.residual_gate: ResidualGate | None = None
        """With echo cancellation: silences the canceller's leftover while the coach sounds."""
        self.gate.leftover = self._leftover
        self.hush: Callable[[], None] | None = None
        """With echo cancellation: cuts the coach when a command is heard over it (the shell
        sets it to the speaker's hush)."""
        self.duck: Callable[[float], None] | None = None
        """With echo cancellation: lowers the coach's voice (gain; 1.0 brings it back) while
        someone talks over it (the shell sets it to the speaker's duck)."""
        self.duck_gain = DUCK_GAIN
        self.ducks: list[Duck] = []
        """Every duck so far (for the benchmark and tests)."""
        self._ducked: Duck | None = None
        self._utterance_seen: float | None = None
        self._took_command = False
        if canceller is not None:
            self.use_echo_canceller(canceller)

    def use_echo_canceller(self, canceller: EchoCanceller) -> None:
        """Full-duplex listening: the coach's echo is taken out of the mic before the
        recognizer, and the gate lets any phrase through over the coach once it works."""
        from voicecoach.speech.echo import ResidualGate

        self.canceller = canceller
        self.residual_gate = ResidualGate(canceller.reference)
        self.gate.duplex = lambda: canceller.converged

    def _leftover(self, onset: float, end: float) -> bool:
        """Full duplex: an utterance no louder than the coach's leftover is the coach's."""
        residual = self.residual_gate
        return residual is not None and residual.leftover(onset, end)

    # --- EarsPort ----------------------------------------------------------------------

    def start(self, session: Session) -> None:
        self._session = session
        self._spawn()

    def set_phrases(
        self, phrases: tuple[str, ...], meanings: dict[str, str] | None = None
    ) -> None:
        with self._phrases_lock:
            self._pending.phrases = (tuple(phrases), meanings)

    def speaking_started(self, t: float, text: str = "") -> None:
        self.gate.speaking_started(t, text)

    def speaking_ended(self, t: float) -> None:
        self.gate.speaking_ended(t)

    def check(self) -> None:
        """Restart the listen thread if it died (called by the session every second)."""
        thread = self._thread
        if thread is None or thread.is_alive() or self._stop.is_set():
            return
        self.restarts += 1
        log.error("the listen thread died; restarting it (restart %d)", self.restarts)
        if self._session is not None:
            self._session.report("warning", "speech input stopped; restarted it")
        self._spawn()

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=3.0)
        self._close_source()

    # --- the listen thread -------------------------------------------------------------

    def _spawn(self) -> None:
        self._thread = threading.Thread(target=self._listen, name="listen", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        try:
            self._listen_loop()
        except Exception as exc:
            # Logged with its traceback; the thread ends and `check()` starts a new one.
            log.exception("listen thread crashed")
            self.crashes.append(_one_line(exc))

    def _listen_loop(self) -> None:
        session = self._session
        assert session is not None
        listener = Listener(self._make_recognizer(), self.gate)
        with self._phrases_lock:
            if self._pending.phrases is None and self._current_phrases:
                self._pending.phrases = self._current_phrases
            self._current_phrases = None  # a new recognizer has none of ours yet
        lost = False
        input_ended = False
        last_level = 0.0
        while not self._stop.is_set():
            if self._source is None:
                try:
                    source = self._open_source()
                    source.open()
                except VoicecoachError as exc:
                    if not lost:
                        lost = True
                        session.mic_lost(f"microphone unavailable: {exc.message}; "
                                         "paused, retrying")
                    self._stop.wait(self._retry)
                    continue
                self._source = source
                if lost:
                    lost = False
                    session.mic_back(f"microphone back: {getattr(source, 'device_name', '')}"
                                     .rstrip(": "))
            source = self._source
            chunk = source.read(0.2)
            if chunk and self.canceller is not None:
                chunk = self.canceller.process(chunk, self._clock())
            if chunk and self.residual_gate is not None and self.gate.full_duplex:
                # Only once the canceller works: before that, its leftover is nearly the
                # whole echo, and a barge-in only a few dB above it would be silenced.
                chunk = self.residual_gate.process(chunk, self._clock())
            if chunk is None:
                if not source.active:
                    self._close_source()
                    lost = True
                    session.mic_lost("microphone lost: paused until it returns")
                continue
            self._apply_phrases(listener)
            now = self._clock()
            if chunk == b"":
                if not input_ended:
                    # The recording is over: decide its last words, and tell the session
                    # (it ends if no other input is open; with keys, they go on).
                    input_ended = True
                    self._deliver(session, listener, listener.flush(now))
                    session.input_ended("voice", "end of the input file")
                self._stop.wait(0.2)
                continue
            if self.ready_at is None:
                self.ready_at = now
                self.ready.set()
                session.record("ready", at=round(now, 4), engine=self.engine_name)
                session.report("ready", f"listening ({self.engine_name})")
            if now - last_level >= LEVEL_EVERY:
                last_level = now
                session.level(level_dbfs(chunk)[0])
            if self._keep_audio is not None:
                self._remember(now, chunk)
            self._took_command = False
            self._deliver(session, listener, listener.feed(chunk, now))
            if self.duck is not None:
                self._yield_floor(listener, now)

    def _yield_floor(self, listener: Listener, now: float) -> None:
        """Duck the coach while someone talks over it; bring it back if no command came.

        Why: the sound server's canceller damages a word said over the coach (its
        double-talk suppression takes the word's loud frames 0-23 dB down, bench/echo.md),
        so the word is better said over a much quieter coach, as a person talked over
        would go quiet. Someone talks over the coach once two 20 ms frames of the last
        0.2 s (after the canceller) stand over the coach's leftover (`DUCK_OVER_ECHO_DB`,
        the leftover rule's score on a sliding window), the earliest sign there is. The
        voice comes back when the utterance ends without a command, or when none opened
        within `DUCK_WAIT_S`; a command taken hushes the coach as before (`_deliver`).

        Measured in the loop (bench/echo.md, fifth round; 40 clips of real people at +6 dB
        over the coach, three runs each): heard 17.5, 15 and 25 % with it, 10, 7.5 and
        12.5 % without (42.5 % in silence); 0 self-triggers over the 92 texts of both
        routines. Speech onset to lowered voice p50 71-82 ms. What limits it is that
        delay: the bench ducking the coach before the word heard 30 %, 50 ms into it
        17.5 %, 120 ms 10 % (the canceller damages the word from its first frames).
        Ducking once the recognizer opened an utterance (three frames): 15 and 12.5 %.

        The voice used to dip with nobody talking (2 and 17 times over the 92 texts): not
        the leftover's own bursts but this thread's stalls, which judged half a second of
        leftover against the coach of later; the residual gate now stamps frames with their
        capture time (`CaptureClock`; bench/echo.md, sixth round).
        """
        assert self.duck is not None
        speaking = listener.recognizer.in_speech
        ducked = self._ducked
        if ducked is not None:
            if speaking:
                ducked.spoke = True
            done = not speaking and (ducked.spoke or now - ducked.at > DUCK_WAIT_S)
            if done or now - ducked.at > DUCK_MAX_S:
                ducked.ended = now
                ducked.outcome = "command" if self._took_command else "restored"
                self._ducked = None
                self.duck(1.0)  # after a command's hush this changes nothing
            return
        if not speaking:
            self._utterance_seen = None
        elif self._utterance_seen is None:
            self._utterance_seen = now
        residual = self.residual_gate
        if (residual is None or not self.gate.full_duplex or not self.gate.gated(now)
                or (self._utterance_seen is not None
                    and now - self._utterance_seen > DUCK_DECIDE_S)):
            return
        score = residual.over_echo(now - 0.1, now - 0.1)  # frames of the last 0.2 s
        if score is not None and score >= DUCK_OVER_ECHO_DB:
            self._ducked = Duck(at=now, score=round(score, 1), seen=now - 0.2,
                                spoke=speaking)
            self.ducks.append(self._ducked)
            self.duck(self.duck_gain)

    def _remember(self, now: float, chunk: bytes) -> None:
        self._recent.append((now, chunk))
        while self._recent and now - self._recent[0][0] > KEEP_SECONDS:
            self._recent.popleft()

    def _audio_between(self, onset: float, end: float) -> bytes:
        """The remembered chunks that overlap [onset, end], with a margin either side."""
        parts = []
        for fed_at, chunk in self._recent:
            starts = fed_at - len(chunk) / 2 / SAMPLE_RATE
            if fed_at >= onset - KEEP_MARGIN and starts <= end + KEEP_MARGIN:
                parts.append(chunk)
        return b"".join(parts)

    def _apply_phrases(self, listener: Listener) -> None:
        with self._phrases_lock:
            phrases, self._pending.phrases = self._pending.phrases, None
        if phrases is not None and phrases != self._current_phrases:
            listener.set_phrases(*phrases)
            self._current_phrases = phrases

    def _deliver(self, session: Session, listener: Listener, hyps: list[Hypothesis]) -> None:
        """Hand judged hypotheses to the session, at the time their speech ended."""
        for hyp in hyps:
            onset, end = listener.span(hyp)
            text = hyp.text.strip()
            ducked = self._ducked
            if ducked is not None and ducked.onset is None:
                ducked.onset, ducked.heard, ducked.reason = onset, hyp.text or hyp.raw, hyp.reason
            if text:
                self.heard_count += 1
                self._took_command = True
                if self.hush is not None and self.gate.gated():
                    # Heard over the coach: it stops talking at once. Before `hear`, so the
                    # coach's answer is queued after the cut, never dropped by it.
                    self.hush()
                session.hear(text, hyp.confidence, accepted=True, at=end)
                continue
            # Rejected (not a command) or gated (the coach's own voice): shown and
            # logged, never acted on.
            raw = hyp.raw.strip()
            if raw:
                if hyp.reason == "gated":
                    self.heard_count += 1
                session.hear(raw, hyp.confidence, accepted=False, at=end,
                             reason=hyp.reason or "rejected", in_talk=hyp.in_talk)
            if self._keep_audio is not None and hyp.reason != "gated":
                # The coach's own voice is not worth keeping; what the person said is.
                pcm = self._audio_between(onset, end)
                if pcm:
                    self._keep_audio(pcm, {"text": raw, "raw": raw,
                                           "confidence": round(hyp.confidence, 3),
                                           "reason": hyp.reason or "rejected",
                                           "engine": self.engine_name})

    def _close_source(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            try:
                source.close()
            except Exception:
                log.debug("closing the source failed", exc_info=True)


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# --- building the ears from run options -----------------------------------------------


def build_ears(routine: Routine, opts: RunOptions, note: Notice) -> tuple[Ears | None, str, bool]:
    """(ears or None, engine name, keyboard fallback?) for these options.

    Raises for what the user can fix (an unknown engine, a routine word the
    engine cannot hear, a bad --input-file); a missing mic is not one of
    those: it is a notice and the keyboard.
    """
    from voicecoach import speech

    engine = opts.engine
    make = getattr(speech, "make_recognizer", None)
    if make is None:
        note("speech recognition is not available in this install; using the keyboard")
        return None, "text", True
    # raises EngineUnavailable/ModelMissing (exit 1), or EnrollmentError for an unknown --user
    classifier = "background" if opts.classifier else "off"
    probe = make(engine, routine, opts.model, user=opts.user, denoiser=opts.denoiser,
                 classifier=classifier)
    if getattr(probe, "classifier_learning", False):
        note("learning this routine's phrases in the background (its first start: some "
             "minutes); until then pocketsphinx alone judges what it hears")
    choice = getattr(probe, "choice", None)
    engine_name = str(getattr(choice, "engine", None) or getattr(probe, "name", engine))
    check_vocabulary(routine, engine_name, opts.model, _display_name(opts.routine), note)
    first = [probe]

    def make_recognizer() -> Recognizer:
        # The probe is used once (it is ready: loading a model is the slow part of start-up).
        recognizer: Recognizer = first.pop() if first else make(
            engine, routine, opts.model, user=opts.user, denoiser=opts.denoiser,
            classifier=classifier,
        )
        return recognizer

    source: Source
    if opts.input_file is not None:
        source = WavSource(opts.input_file, realtime=True, loop=opts.loop_input)
        source.open()  # a bad file fails now, with exit 2, not in the listen thread
    else:
        # One MicSource for the whole session: it counts failed opens, which decides
        # when PortAudio is re-initialised (see `MicSource.open`).
        source = MicSource(opts.mic)
        try:
            source.open()
        except VoicecoachError as exc:
            note(f"{exc.message}; using the keyboard instead (type your commands)")
            return None, "text", True
        source.close()  # the listen thread opens it again when the session starts
    mic_or_file = source
    keep = _audio_keeper(opts.keep_audio_mb) if opts.keep_audio else None
    return Ears(engine_name=engine_name, make_recognizer=make_recognizer,
                open_source=lambda: mic_or_file, keep_audio=keep), engine_name, False


def _audio_keeper(cap_mb: int) -> KeepAudio:
    """`--keep-audio`: write each rejected utterance on one background thread.

    The listen thread must never wait for a disk (an SD card can stall for a
    second); a single worker keeps the files in order and the size cap exact.
    """
    from voicecoach.session_log import save_rejected_audio

    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keep-audio")

    def keep(pcm: bytes, meta: dict[str, Any]) -> None:
        writer.submit(save_rejected_audio, pcm, SAMPLE_RATE, meta,
                      cap_bytes=cap_mb * 1024 * 1024)

    return keep


def _display_name(name_or_path: str) -> str:
    """How `check` names a routine in its messages: as typed if a path, else where it was found."""
    from voicecoach.routine.catalog import find_routine, looks_like_path

    return name_or_path if looks_like_path(name_or_path) else str(find_routine(name_or_path))


def check_vocabulary(routine: Routine, engine: str, model: Path | None, display: str,
                     note: Notice) -> None:
    """Refuse a routine with words the engine cannot hear: the same lines as `check --engine`.

    A phrase the engine cannot recognise would be said mid-squat to silence,
    so the session must not start. Without a word list the check is skipped
    with a note, as `check` does.
    """
    try:
        from voicecoach.routine.vocabulary import vocabulary_problems
        from voicecoach.speech.vocab import load_vocabulary
    except ImportError:
        return
    try:
        vocab: Any = load_vocabulary(engine, model)
    except (VoicecoachError, OSError) as exc:
        note(f"vocabulary check skipped: {getattr(exc, 'message', exc)}")
        return
    if vocab is None:
        return
    problems = vocabulary_problems(routine, vocab, display)
    if problems:
        from voicecoach.errors import RoutineError

        lines = [str(p) for p in problems]
        raise RoutineError(lines[0], lines)
