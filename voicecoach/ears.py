"""The session's ears: an audio source, a recognizer in its own thread, the mic gate.

Theory of operation
-------------------
Audio arrives in the source's own thread (PortAudio's callback, or a WAV
reader pacing itself in real time) and is only queued there. One thread,
"listen", owns the recognizer: it takes chunks from the source, applies the
latest phrase set (the coach thread asks for a switch on every step change;
the switch happens here, between chunks, because the recognizer is not
thread-safe), asks the gate whether the coach was speaking, feeds the
recognizer, and hands each hypothesis to `session.hear()`. The session maps
words to intents on its own thread, so "which step are we in" is always
answered by the state owner.

The gate (half-duplex): while the coach speaks and for a short tail after,
what the mic hears is mostly the coach. Those hypotheses are rejected, except
a barge-in ("stop", "pause") above a stricter confidence.

Faults: a mic that cannot be opened or that dies mid-session makes the
session pause ("mic" status) and the listen thread retry every
`retry_seconds`; when it opens again the session resumes by itself. If the
listen thread itself dies (a bug, a native crash surfacing as an exception),
`check()` (called by the session every second) logs it and starts a new one.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from voicecoach.errors import VoicecoachError
from voicecoach.routine.phrases import phrase_key

if TYPE_CHECKING:
    from voicecoach.app import Session
    from voicecoach.commands.run import RunOptions
    from voicecoach.routine.models import Routine

log = logging.getLogger("voicecoach.ears")

RATE = 16_000
"""Hertz the recognizers take."""
CHUNK_SECONDS = 0.05
"""Seconds of audio per chunk fed to the recognizer."""
MAX_UTTERANCE = 2.0
"""Seconds: the longest stretch of audio one command's hypothesis is taken to cover."""
REINIT_EVERY = 10
"""Failed mic opens between PortAudio re-initialisations (see `build_ears`)."""
LEVEL_EVERY = 0.125
"""Seconds between mic level reports (the meter wants ~8 a second)."""

Notice = Callable[[str], None]


# --- what the ears need from the speech layer ------------------------------------------


class Hypothesis(Protocol):
    text: str
    confidence: float


class Recognizer(Protocol):
    def set_phrases(self, phrases: Iterable[str]) -> None: ...

    def accept(self, pcm: bytes) -> list[Any]: ...

    def flush(self) -> list[Any]: ...


class Source(Protocol):
    """16 kHz mono int16 chunks. `read` returns None on timeout, b"" at the end of a file."""

    @property
    def alive(self) -> bool: ...

    def read(self, timeout: float) -> bytes | None: ...

    def close(self) -> None: ...


class Gate(Protocol):
    def speaking_started(self, t: float, text: str = "") -> None: ...

    def speaking_ended(self, t: float) -> None: ...

    def allows(self, hypothesis: Any, onset: float, end: float) -> bool: ...


# --- sources ---------------------------------------------------------------------------


class MicSource:
    """A sounddevice input stream whose callback only queues (never blocks, never decodes).

    Opened at a rate the device takes (16 kHz if it can, else its default) and
    converted to 16 kHz mono int16 in the listen thread, not in the callback.

    Why not `voicecoach.speech.audio.MicSource`: it re-initialises PortAudio on
    every open, which closes every other stream of the process, the speaker's
    output included. Here PortAudio is re-initialised only when the device
    cannot be found at all (`reinit=True`, after repeated failures), which is
    what a replugged USB mic needs.
    """

    def __init__(self, device: str | int | None, chunk_seconds: float = CHUNK_SECONDS,
                 reinit: bool = False) -> None:
        import sounddevice as sd

        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=200)
        self.overflows = 0
        self._stream: Any = None
        try:
            if reinit:
                sd._terminate()
                sd._initialize()
            index = _input_device(sd, device)
            info = sd.query_devices(index)
            self.device_name = str(info["name"])
            last: Exception | None = None
            for rate in dict.fromkeys((RATE, int(info["default_samplerate"]), 48000, 44100)):
                try:
                    sd.check_input_settings(device=index, samplerate=rate, channels=1,
                                            dtype="int16")
                    stream = sd.InputStream(
                        device=index, samplerate=rate, channels=1, dtype="int16",
                        blocksize=int(rate * chunk_seconds), callback=self._callback,
                    )
                    stream.start()
                except Exception as exc:  # PortAudioError, ValueError: try the next rate
                    last = exc
                    continue
                self._stream, self.rate = stream, rate
                break
            if self._stream is None:
                raise MicUnavailable(f"cannot open {self.device_name!r}: "
                                     f"{_one_line(last) if last else 'no usable rate'}")
        except VoicecoachError:
            raise
        except Exception as exc:  # PortAudioError for a vanished server...
            raise MicUnavailable(_one_line(exc)) from None
        self._resample = _stream_resampler(self.rate)

    def _callback(self, indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:
            self.overflows += 1  # the recognizer fell behind: drop, never block the callback

    @property
    def alive(self) -> bool:
        try:
            return self._stream is not None and bool(self._stream.active)
        except Exception:
            return False

    def read(self, timeout: float) -> bytes | None:
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        return self._resample(block).astype("<i2").tobytes()

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.close(ignore_errors=True)
        except Exception:
            log.debug("closing the mic stream failed", exc_info=True)


def _stream_resampler(rate: int) -> Callable[[np.ndarray], np.ndarray]:
    """int16 blocks at `rate` -> int16 at 16 kHz, with filter state kept across blocks."""
    if rate == RATE:
        return lambda block: block
    try:
        from voicecoach.speech.audio import Resampler, to_int16
    except ImportError:
        return lambda block: resample_int16(block, rate, RATE)
    resampler = Resampler(rate, RATE)
    return lambda block: to_int16(resampler.process(block))


class MicUnavailable(VoicecoachError):
    """No input device, a busy one, or no sound server."""


def _input_device(sd: Any, spec: str | int | None) -> int:
    try:
        devices = list(sd.query_devices())
    except Exception as exc:
        raise MicUnavailable(f"no sound system ({_one_line(exc)})") from None
    inputs = [(i, str(d["name"])) for i, d in enumerate(devices) if d["max_input_channels"] > 0]
    if not inputs:
        raise MicUnavailable("no microphone found")
    if spec is None or spec == "":
        default = sd.default.device[0]
        if isinstance(default, int) and any(i == default for i, _ in inputs):
            return default
        for i, name in inputs:
            if name in ("default", "pulse"):
                return i
        return inputs[0][0]
    if isinstance(spec, int) or str(spec).strip().isdigit():
        if any(i == int(spec) for i, _ in inputs):
            return int(spec)
        raise MicUnavailable(f"no input device with index {spec} (see `voicecoach devices`)")
    for i, name in inputs:
        if name == spec:
            return i
    for i, name in inputs:
        if str(spec).lower() in name.lower():
            return i
    raise MicUnavailable(f"no input device matches {spec!r} (see `voicecoach devices`)")


class WavSource:
    """A WAV file fed as if it were a mic: paced in real time, optionally looped.

    Pacing matters: the coach's timers, the mic gate and the latency all assume
    audio arrives as it is spoken. `realtime=False` feeds as fast as it is read
    (tests of the decoding only).
    """

    def __init__(self, path: Path, *, loop: bool = False, realtime: bool = True,
                 chunk_seconds: float = CHUNK_SECONDS) -> None:
        self.path = path
        self.device_name = str(path)
        self._pcm = read_wav_16k(path)
        self._loop = loop
        self._realtime = realtime
        self._chunk = int(RATE * chunk_seconds)
        self._pos = 0
        self._t0: float | None = None
        self._fed = 0
        self.finished = False

    @property
    def alive(self) -> bool:
        return True

    def read(self, timeout: float) -> bytes | None:
        if self._pos >= len(self._pcm):
            if not self._loop:
                self.finished = True
                if self._realtime:
                    time.sleep(min(timeout, 0.05))
                return b""
            self._pos = 0
        if self._realtime:
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now
            due = self._t0 + self._fed / RATE
            if due > now:
                if due - now > timeout:
                    time.sleep(timeout)
                    return None
                time.sleep(due - now)
        block = self._pcm[self._pos:self._pos + self._chunk]
        self._pos += len(block)
        self._fed += len(block)
        return block.astype("<i2").tobytes()

    def close(self) -> None:
        self._pos = len(self._pcm)


def read_wav_16k(path: Path) -> np.ndarray:
    """Any PCM WAV (8/16/32-bit, mono or stereo, any rate) as 16 kHz mono int16."""
    try:
        with wave.open(str(path), "rb") as wf:
            rate, channels, width = wf.getframerate(), wf.getnchannels(), wf.getsampwidth()
            raw = wf.readframes(wf.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise InputFileError(f"{path}: not a readable WAV file ({_one_line(exc)})") from None
    if width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.int32) - 128) << 8
    elif width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.int32)
    elif width == 4:
        data = np.frombuffer(raw, "<i4").astype(np.int64) >> 16
    else:
        raise InputFileError(f"{path}: {8 * width}-bit WAV is not supported (use 16-bit)")
    if channels > 1:
        data = data[: len(data) - len(data) % channels].reshape(-1, channels).mean(axis=1)
    mono = np.asarray(data, np.float64)
    return resample_int16(np.clip(mono, -32768, 32767).astype(np.int16), rate, RATE)


class InputFileError(VoicecoachError):
    exit_code = 2


def resample_int16(block: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Linear-interpolation resample: enough for speech into a 16 kHz recognizer."""
    if src == dst or block.size == 0:
        return block.astype(np.int16, copy=False)
    n_out = max(1, round(block.size * dst / src))
    x = np.linspace(0, block.size - 1, n_out)
    return np.interp(x, np.arange(block.size), block.astype(np.float64)).astype(np.int16)


# --- the gate --------------------------------------------------------------------------


class SimpleGate:
    """Half-duplex by the known playback window: what starts while we speak is our own voice.

    Used when the speech layer has no `MicGate`. An utterance whose speech
    *began* inside [speech start - lead, speech end + tail] is taken for the
    coach's own words and rejected. Judging by the onset, not by any overlap,
    matters: a person who answers 0.3 s after the coach stops must be heard,
    even though the recognizer's utterance reaches back into the coach's last
    word.

    Barge-in: "stop" and "pause" (and their phrases) are let through during
    the window when heard with at least `barge_in_confidence`, so a person can
    cut a long answer short; but never when the coach's own text in that
    window contains the same words ("Pain means stop."), which is exactly when
    the recognizer would hear them from the loudspeaker.
    """

    def __init__(self, tail: float = 0.35, lead: float = 0.1,
                 barge_in: Iterable[str] = ("stop", "pause"),
                 barge_in_confidence: float = 0.85) -> None:
        self.tail = tail
        """Seconds after the last sample during which the room (and the loop) still echoes it."""
        self.lead = lead
        """Seconds of slack before the first sample (the speaker's start time is an estimate)."""
        self.barge_in = {phrase_key(w) for w in barge_in}
        self.barge_in_confidence = barge_in_confidence
        self._lock = threading.Lock()
        self._windows: list[tuple[float, float, frozenset[str]]] = []
        self._speaking_since: float | None = None
        self._speaking_words: set[str] = set()

    def speaking_started(self, t: float, text: str = "") -> None:
        with self._lock:
            if self._speaking_since is None:
                self._speaking_since = t
            self._speaking_words |= set(spoken_keys(text))

    def speaking_ended(self, t: float) -> None:
        with self._lock:
            if self._speaking_since is not None:
                self._windows.append((self._speaking_since - self.lead, t + self.tail,
                                      frozenset(self._speaking_words)))
                self._windows = self._windows[-20:]
                self._speaking_since = None
                self._speaking_words = set()

    def own_words(self, onset: float) -> frozenset[str] | None:
        """The words we were saying when an utterance began at `onset`; None: we were quiet."""
        with self._lock:
            if self._speaking_since is not None and onset >= self._speaking_since - self.lead:
                return frozenset(self._speaking_words)
            for w_start, w_end, words in self._windows:
                if w_start <= onset <= w_end:
                    return words
        return None

    def allows(self, hypothesis: Any, onset: float, end: float) -> bool:
        words = self.own_words(onset)
        if words is None:
            return True
        key = phrase_key(str(getattr(hypothesis, "text", "")))
        confidence = float(getattr(hypothesis, "confidence", 0.0))
        return (key in self.barge_in and confidence >= self.barge_in_confidence
                and not set(key.split()) <= words)


def spoken_keys(text: str) -> tuple[str, ...]:
    """The words of `text` as phrase keys compare them (lower case, no apostrophes)."""
    return tuple(phrase_key(w) for w in text.split() if phrase_key(w))


# --- the ears --------------------------------------------------------------------------


@dataclass
class _Pending:
    phrases: tuple[str, ...] | None = None


class Ears:
    """Source + recognizer + gate, in one supervised "listen" thread (see module docstring)."""

    def __init__(
        self,
        *,
        engine_name: str,
        make_recognizer: Callable[[], Recognizer],
        open_source: Callable[[], Source],
        gate: Gate | None = None,
        retry_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine_name = engine_name
        self._make_recognizer = make_recognizer
        self._open_source = open_source
        self.gate: Gate = gate if gate is not None else SimpleGate()
        self._retry = retry_seconds
        self._clock = clock
        self._session: Session | None = None
        self._phrases_lock = threading.Lock()
        self._pending = _Pending()
        self._current_phrases: tuple[str, ...] = ()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._source: Source | None = None
        self.restarts = 0
        self.crashes: list[str] = []
        self.ready_at: float | None = None
        """Monotonic time the first chunk reached the recognizer (ready to listen)."""
        self.ready = threading.Event()
        self.heard_count = 0

    # --- EarsPort ----------------------------------------------------------------------

    def start(self, session: Session) -> None:
        self._session = session
        self._spawn()

    def set_phrases(self, phrases: tuple[str, ...]) -> None:
        with self._phrases_lock:
            self._pending.phrases = tuple(phrases)

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
        recognizer = self._make_recognizer()
        preroll = float(getattr(recognizer, "preroll_s", 0.0) or 0.0)
        with self._phrases_lock:
            if self._pending.phrases is None and self._current_phrases:
                self._pending.phrases = self._current_phrases
        lost = False
        input_ended = False
        fed = 0
        """Samples given to this recognizer: its stream clock, for the hypotheses' times."""
        utterance_start: float | None = None
        last_level = 0.0
        while not self._stop.is_set():
            if self._source is None:
                try:
                    self._source = self._open_source()
                except VoicecoachError as exc:
                    if not lost:
                        lost = True
                        session.mic_lost(f"microphone unavailable: {exc.message}; "
                                         "paused, retrying")
                    self._stop.wait(self._retry)
                    continue
                if lost:
                    lost = False
                    session.mic_back(f"microphone back: {getattr(self._source, 'device_name', '')}"
                                     .rstrip(": "))
            source = self._source
            chunk = source.read(0.2)
            if chunk is None:
                if not source.alive:
                    self._close_source()
                    lost = True
                    session.mic_lost("microphone lost: paused until it returns")
                continue
            self._apply_phrases(recognizer)
            now = self._clock()
            if chunk == b"":
                if not input_ended:
                    # The recording is over: decide its last words, say so once, and
                    # let the session go on (keys still work; `run` ends at Finish).
                    input_ended = True
                    self._deliver(session, recognizer.flush(), utterance_start or now, now,
                                  fed_seconds=fed / RATE)
                    utterance_start = None
                    session.record("input_end", at=round(now, 4))
                    session.report("warning", "end of the input file: no more speech input")
                self._stop.wait(0.2)
                continue
            if self.ready_at is None:
                self.ready_at = now
                self.ready.set()
                session.record("ready", at=round(now, 4), engine=self.engine_name)
                session.report("ready", f"listening ({self.engine_name})")
            pcm = np.frombuffer(chunk, "<i2")
            if now - last_level >= LEVEL_EVERY:
                last_level = now
                session.level(dbfs(pcm))
            chunk_start = now - len(pcm) / RATE
            if utterance_start is None:
                utterance_start = chunk_start
            hyps = recognizer.accept(chunk)
            fed += len(pcm)
            if hyps:
                # Bounded: in a noisy room no chunk is silent, and an unbounded
                # start would reach back into the coach's last sentence.
                start = max(utterance_start, now - MAX_UTTERANCE)
                self._deliver(session, hyps, start, now, fed_seconds=fed / RATE,
                              preroll=preroll)
                utterance_start = None
            elif _is_silent(pcm):
                utterance_start = None

    def _apply_phrases(self, recognizer: Recognizer) -> None:
        with self._phrases_lock:
            phrases, self._pending.phrases = self._pending.phrases, None
        if phrases is not None and phrases != self._current_phrases:
            recognizer.set_phrases(phrases)
            self._current_phrases = phrases

    def _deliver(self, session: Session, hyps: list[Any], start: float, end: float,
                 fed_seconds: float | None = None, preroll: float = 0.0) -> None:
        """Hand hypotheses to the session, gated; `start`/`end` are monotonic estimates.

        A hypothesis that knows where its speech was in the recognizer's stream
        (`start_s`/`end_s`, seconds since the stream began) is placed exactly:
        the stream's "now" is `fed_seconds`, which arrived at `end`; its onset
        is `start_s` plus the recognizer's pre-roll (audio kept from before the
        speech began, so a soft first consonant is not lost).
        """
        for hyp in hyps:
            text = str(getattr(hyp, "text", "") or "").strip()
            confidence = float(getattr(hyp, "confidence", 0.0))
            h_start, h_end = start, end
            s_end = float(getattr(hyp, "end_s", 0.0) or 0.0)
            if fed_seconds is not None and s_end > 0.0:
                s_start = float(getattr(hyp, "start_s", 0.0) or 0.0)
                h_start = end - (fed_seconds - min(s_start + preroll, s_end))
                h_end = end - (fed_seconds - s_end)
            if not text:
                # Rejected by the recognizer (not a command): shown and logged, never acted on.
                raw = str(getattr(hyp, "raw", "") or "").strip()
                if raw:
                    session.hear(raw, confidence, accepted=False, at=h_end,
                                 reason=str(getattr(hyp, "reason", "") or "rejected"))
                continue
            accepted = bool(getattr(hyp, "accepted", True))
            reason = ""
            if accepted and not self.gate.allows(hyp, h_start, h_end):
                accepted, reason = False, "gated"
            self.heard_count += 1
            session.hear(text, confidence, accepted=accepted, at=h_end, reason=reason)

    def _close_source(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            try:
                source.close()
            except Exception:
                log.debug("closing the source failed", exc_info=True)


def dbfs(pcm: np.ndarray) -> float:
    """RMS level in dBFS; -120 for digital silence."""
    if pcm.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean((pcm.astype(np.float64) / 32768.0) ** 2)))
    return max(-120.0, 20.0 * math.log10(rms)) if rms > 0 else -120.0


def _is_silent(pcm: np.ndarray, threshold_dbfs: float = -50.0) -> bool:
    return dbfs(pcm) < threshold_dbfs


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
    probe = make(engine, routine, opts.model)  # raises EngineUnavailable/ModelMissing: exit 1
    choice = getattr(probe, "choice", None)
    engine_name = str(getattr(choice, "engine", None) or getattr(probe, "name", engine))
    check_vocabulary(routine, engine_name, opts.model, _display_name(opts.routine), note)
    first = [probe]

    def make_recognizer() -> Recognizer:
        # The probe is used once (it is ready: loading a model is the slow part of start-up).
        recognizer: Recognizer = first.pop() if first else make(engine, routine, opts.model)
        return recognizer

    if opts.input_file is not None:
        path = opts.input_file
        read_wav_16k(path)  # fail now, with exit 2, not in the listen thread

        def open_source() -> Source:
            return WavSource(path, loop=opts.loop_input)

        return Ears(engine_name=engine_name, make_recognizer=make_recognizer,
                    open_source=open_source, gate=_make_gate()), engine_name, False

    device = opts.mic
    try:
        MicSource(device).close()
    except VoicecoachError as exc:
        note(f"{exc.message}; using the keyboard instead (type your commands)")
        return None, "text", True
    failures = [0]

    def open_mic() -> Source:
        # Every REINIT_EVERY failed opens, re-initialise PortAudio so a replugged
        # USB mic (a new ALSA device) can be found; it costs the speaker's stream
        # a reopen, which is why it is not done on every attempt.
        reinit = failures[0] > 0 and failures[0] % REINIT_EVERY == 0
        try:
            source = MicSource(device, reinit=reinit)
        except VoicecoachError:
            failures[0] += 1
            raise
        failures[0] = 0
        return source

    return Ears(engine_name=engine_name, make_recognizer=make_recognizer,
                open_source=open_mic, gate=_make_gate()), engine_name, False


def _display_name(name_or_path: str) -> str:
    """How `check` names a routine in its messages: as typed if a path, else where it was found."""
    from voicecoach.routine.catalog import find_routine, looks_like_path

    return name_or_path if looks_like_path(name_or_path) else str(find_routine(name_or_path))


def _make_gate() -> Gate:
    return SimpleGate()


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
