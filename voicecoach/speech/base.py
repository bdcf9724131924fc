"""The one small protocol every engine speaks, and the endpointing they share.

Engines differ in how they score words; they should not differ in how an
utterance is cut out of a stream. So segmentation (an energy VAD with an
adaptive noise floor) and the early decision live here, in `StreamingRecognizer`,
and an engine only implements `_begin`, `_feed`, `_partial` and `_finish`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from voicecoach.routine.phrases import phrase_key
from voicecoach.speech.frontend import make_frontend
from voicecoach.speech.hypothesis import Hypothesis

if TYPE_CHECKING:
    from voicecoach.speech.choice import EngineChoice

SAMPLE_RATE = 16000
FRAME = 320
"""Samples per VAD frame (20 ms)."""


class Recognizer(ABC):
    """Audio (16 kHz mono int16 bytes) in, finished utterances out."""

    name: str = "recognizer"
    sample_rate: int = SAMPLE_RATE
    choice: EngineChoice | None = None
    """Which engine `make_recognizer` picked and why (for the UI); None when built directly."""

    @abstractmethod
    def set_phrases(
        self, phrases: Sequence[str], meanings: Mapping[str, str] | None = None
    ) -> None:
        """Switch the active phrase set (a step change); cheap, never reloads the model.

        `meanings` (phrase -> label, equal labels = same meaning) lets an engine decide a
        phrase early when every longer phrase it begins means the same; without it, every
        phrase is taken to mean something different.
        """

    @abstractmethod
    def accept(self, pcm: bytes) -> list[Hypothesis]:
        """Feed a chunk of any length; returns the utterances that finished in it."""

    def partial(self) -> str:
        """Words heard so far in the current utterance ("" between utterances)."""
        return ""

    @property
    def in_speech(self) -> bool:
        return False

    @abstractmethod
    def flush(self) -> list[Hypothesis]:
        """End of stream: finish the utterance in progress, if any."""

    @abstractmethod
    def reset(self) -> None:
        """Drop any utterance in progress (e.g. after the mic was reopened)."""

    def new_stream(self) -> None:
        """A new recording begins (`transcribe`'s next file): forget the last one's room too.

        After this, a recording decodes exactly as it would in a fresh recognizer, so
        a file's answer never depends on which files came before it.
        """
        self.reset()

    def close(self) -> None:  # noqa: B027 (an optional hook: most engines have nothing to free)
        """Free the engine's memory early; optional."""

    def room_audible(self, audible: bool) -> None:  # noqa: B027 (optional, as `close`)
        """Whether the audio now fed is the room (True) or the coach's own voice or the
        gate's zeros (False): the automatic denoiser judges the room's noise on the room
        only (frontend.AutoFrontEnd)."""


class EnergyVad:
    """Speech/non-speech per 20 ms frame: level above an adaptive noise floor.

    The floor follows the quietest recent frames: it drops at once and rises
    slowly (`rise_db_s`), so a fan or steady noise becomes the floor within a
    few seconds while a spoken word (a few hundred ms) stays above it.
    """

    def __init__(
        self, margin_db: float = 10.0, min_db: float = -52.0, rise_db_s: float = 3.0
    ) -> None:
        self.margin_db = margin_db
        """How far above the floor a frame must be to count as speech."""
        self.min_db = min_db
        """Frames quieter than this (dBFS) are never speech."""
        self.rise_db_s = rise_db_s
        self.floor_db: float | None = None

    def is_speech(self, frame: np.ndarray) -> bool:
        level = level_db(frame)
        if self.floor_db is None:
            self.floor_db = min(level, -40.0)
        if level < self.floor_db:
            self.floor_db = level
        else:
            self.floor_db += min(level - self.floor_db, self.rise_db_s * FRAME / SAMPLE_RATE)
        return level > self.min_db and level > self.floor_db + self.margin_db


def level_db(frame: np.ndarray) -> float:
    """RMS in dBFS (int16 full scale), floored at -100."""
    if frame.size == 0:
        return -100.0
    power = float(np.mean(np.square(frame.astype(np.float64)))) / (32768.0**2)
    return 10.0 * np.log10(power) if power > 1e-10 else -100.0


class StreamingRecognizer(Recognizer):
    """Cuts utterances out of the stream and asks the engine for words.

    Timeline of one utterance: `start_frames` speech frames open it (with
    `preroll_s` of audio before them, so a soft first consonant is not lost);
    it ends after `end_silence_s` of non-speech, or after `early_silence_s` when
    the partial result already is one whole active phrase that no longer phrase
    with another meaning extends (with "knees" and "knees out" meaning different
    things, "knees" waits; "stop" does not wait for "the session", which also
    means stop); `max_utterance_s` bounds music that never pauses.
    """

    def __init__(
        self,
        *,
        end_silence_s: float = 0.5,
        early_silence_s: float = 0.2,
        preroll_s: float = 0.3,
        start_frames: int = 3,
        max_utterance_s: float = 6.0,
        vad: EnergyVad | None = None,
        noise_suppression: int = 2,
        denoiser: str = "auto",
    ) -> None:
        self.end_silence_s = end_silence_s
        self.early_silence_s = early_silence_s
        self.preroll_s = preroll_s
        self.start_frames = start_frames
        self.max_utterance_s = max_utterance_s
        self.vad = vad or EnergyVad()
        self.denoiser = denoiser
        """The noise suppressor before the VAD: `auto`, `webrtc` or `rnnoise` (frontend.py)."""
        self.noise_suppression = noise_suppression
        """WebRTC's level, for the front end of each new stream."""
        self.frontend = make_frontend(denoiser, noise_suppression)
        self._carry = np.zeros(0, np.int16)
        self._preroll: deque[np.ndarray] = deque(
            maxlen=max(1, int(preroll_s * SAMPLE_RATE / FRAME))
        )
        self._samples = 0
        self._speech_run = 0
        self._silence_run = 0
        self._utt_start: int | None = None
        self._last_speech = 0
        self._phrase_keys: frozenset[str] = frozenset()
        self._final_keys: frozenset[str] = frozenset()
        self._stop_keys: frozenset[str] = frozenset()
        """The phrases that mean stop (a recognizer may give them the benefit of the doubt)."""
        self._speculated = False

    # --- engine hooks -----------------------------------------------------

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _feed(self, pcm: bytes) -> None: ...

    def _partial(self) -> str:
        return ""

    @abstractmethod
    def _finish(self) -> Hypothesis:
        """End the utterance; a Hypothesis with text ("" if rejected), confidence, raw, reason."""

    def _set_engine_phrases(self, phrases: Sequence[str]) -> None: ...

    speculate_s: float | None = None
    """Silence after which an engine may work out its answer ahead of the early end
    (`_speculate`), so that the answer is ready when `early_silence_s` is reached; None:
    no speculation. Speech before the end undoes it (`_resume`)."""

    def _speculate(self) -> None:
        """Work out the final answer now; `_finish` may then return it without work."""

    def _resume(self) -> None:
        """Speech came back after `_speculate`: forget that answer and keep listening."""

    # --- protocol ---------------------------------------------------------

    def set_phrases(
        self, phrases: Sequence[str], meanings: Mapping[str, str] | None = None
    ) -> None:
        label = {phrase_key(p): m for p, m in (meanings or {}).items()}
        keys = [phrase_key(p) for p in phrases if phrase_key(p)]
        self._phrase_keys = frozenset(keys)
        # Without meanings, a phrase with the word "stop" in it is taken to mean stop.
        self._stop_keys = frozenset(
            k for k in keys if (label.get(k) == "stop" if label else "stop" in k.split())
        )
        # A phrase may end an utterance early unless a longer phrase that it begins
        # means something else ("stop" / "stop the session" both mean stop: no wait).
        self._final_keys = frozenset(
            k
            for k in keys
            if not any(
                o.startswith(k + " ") and (k not in label or label.get(o) != label[k])
                for o in keys
            )
        )
        self._set_engine_phrases(phrases)

    @property
    def in_speech(self) -> bool:
        return self._utt_start is not None

    @property
    def stream_s(self) -> float:
        """Seconds of audio accepted so far: the clock `Hypothesis.start_s`/`end_s` are on."""
        return (self._samples + self._carry.size) / SAMPLE_RATE

    def partial(self) -> str:
        return self._partial() if self._utt_start is not None else ""

    def room_audible(self, audible: bool) -> None:
        self.frontend.room_audible = audible

    def accept(self, pcm: bytes) -> list[Hypothesis]:
        self.frontend.hold = self._utt_start is not None  # no switch of suppressor mid-word
        return self._accept_clean(self.frontend.process(pcm[: len(pcm) - len(pcm) % 2]))

    def _accept_clean(self, pcm: bytes) -> list[Hypothesis]:
        """Audio after the front end: cut into VAD frames and utterances."""
        data = np.frombuffer(pcm, dtype="<i2")
        if self._carry.size:
            data = np.concatenate([self._carry, data])
        n = data.size - data.size % FRAME
        self._carry = data[n:].copy()
        out: list[Hypothesis] = []
        for i in range(0, n, FRAME):
            hyp = self._frame(data[i : i + FRAME])
            if hyp is not None:
                out.append(hyp)
        return out

    def flush(self) -> list[Hypothesis]:
        self._accept_clean(self.frontend.flush())
        if self._carry.size:
            self._accept_clean(np.zeros(FRAME - self._carry.size, np.int16).tobytes())
        if self._utt_start is None:
            return []
        return [self._end(early=False)]

    def new_stream(self) -> None:
        self.reset()
        self.vad = type(self.vad)(self.vad.margin_db, self.vad.min_db, self.vad.rise_db_s)
        self.frontend = make_frontend(self.denoiser, self.noise_suppression)
        self._samples = 0

    def reset(self) -> None:
        if self._utt_start is not None:
            self._finish()
        self._utt_start = None
        self._carry = np.zeros(0, np.int16)
        self._preroll.clear()
        self._speech_run = self._silence_run = 0
        self._speculated = False

    # --- segmentation -----------------------------------------------------

    def _frame(self, frame: np.ndarray) -> Hypothesis | None:
        self._samples += frame.size
        speech = self.vad.is_speech(frame)
        if self._utt_start is None:
            self._preroll.append(frame)
            self._speech_run = self._speech_run + 1 if speech else 0
            if self._speech_run >= self.start_frames:
                pre = list(self._preroll)
                self._utt_start = self._samples - sum(f.size for f in pre)
                self._last_speech = self._samples
                self._silence_run = 0
                self._begin()
                self._feed(np.concatenate(pre).tobytes())
                self._preroll.clear()
            return None
        self._feed(frame.tobytes())
        if speech:
            self._last_speech = self._samples
            self._silence_run = 0
            if self._speculated:
                self._speculated = False
                self._resume()
        else:
            self._silence_run += 1
        silence_s = self._silence_run * FRAME / SAMPLE_RATE
        if silence_s >= self.end_silence_s:
            return self._end(early=False)
        if (
            self.speculate_s is not None
            and not self._speculated
            and self._silence_run
            and self.speculate_s <= silence_s < self.early_silence_s
            and phrase_key(self._partial()) in self._final_keys
        ):
            self._speculated = True
            self._speculate()
        if (
            self._silence_run
            and silence_s >= self.early_silence_s
            and silence_s - FRAME / SAMPLE_RATE < self.early_silence_s
            and phrase_key(self._partial()) in self._final_keys
        ):
            return self._end(early=True)
        if (self._samples - self._utt_start) / SAMPLE_RATE >= self.max_utterance_s:
            return self._end(early=False)
        return None

    def _end(self, early: bool) -> Hypothesis:
        started = time.perf_counter()
        hyp = self._finish()
        self._speculated = False
        start = (self._utt_start or 0) / SAMPLE_RATE
        end = self._last_speech / SAMPLE_RATE
        self._utt_start = None
        self._speech_run = 0
        return Hypothesis(
            text=hyp.text,
            confidence=hyp.confidence,
            start_s=start,
            end_s=end,
            decode_s=time.perf_counter() - started,
            raw=hyp.raw,
            reason=hyp.reason,
            early=early,
        )
