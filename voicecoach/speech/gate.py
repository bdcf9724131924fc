"""The coach must never hear itself: a gate on the mic while it speaks, and the Listener.

The voice side calls `speaking_started`/`speaking_ended` (app.py wires the
Speaker's callbacks to them: speech and voice never import each other). An
utterance is judged by when its speech *began*: one that began while the coach
spoke, or within `tail_s` after (room echo), is the coach's own voice, except a
barge-in ("stop", "pause") heard with a stricter confidence and not among the
words the coach was itself saying ("Pain means stop." must never stop the
session). `Listener` couples a recognizer with the gate and the stream's clock.

Full duplex (`duplex`, with echo cancellation on: `voicecoach.speech.echo`):
while the canceller reports that it removes the coach's voice, every phrase
may be heard over it, not only a barge-in, at `duplex_confidence` and still
never among the coach's own words. Until then (the first seconds of a
session, while the filter converges) the half-duplex rule above holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from voicecoach.routine.commands import BUILTIN_COMMANDS
from voicecoach.routine.phrases import phrase_key
from voicecoach.speech.base import SAMPLE_RATE, Recognizer
from voicecoach.speech.hypothesis import Hypothesis

BARGE_IN_COMMANDS = ("stop", "pause")
DUPLEX_CONFIDENCE = 0.6
"""Confidence a phrase heard over the coach needs with echo cancellation (measured in
bench/echo.md: the coach's residual echo decodes to phrases below it)."""


class MicGate:
    """Knows when the coach is speaking and what it says; thread-safe (the speaker calls from its
    own thread, the listener judges from another)."""

    def __init__(
        self,
        tail_s: float = 0.35,
        lead_s: float = 0.1,
        barge_in: Iterable[str] = BARGE_IN_COMMANDS,
        barge_in_confidence: float = 0.85,
        clock: Callable[[], float] = time.monotonic,
        duplex: Callable[[], bool] | None = None,
        duplex_confidence: float = DUPLEX_CONFIDENCE,
    ) -> None:
        self.tail_s = tail_s
        """Seconds after speech ends during which the mic stays gated (echo, reverb)."""
        self.lead_s = lead_s
        """Seconds of slack before speech starts (the speaker's start time is an estimate)."""
        self.barge_in = frozenset(phrase_key(p) for c in barge_in for p in BUILTIN_COMMANDS[c])
        """Phrase keys that may interrupt the coach: every phrase of the barge-in commands."""
        self.barge_in_confidence = barge_in_confidence
        self.duplex = duplex
        """Full duplex now? (echo cancellation on and converged); None: never."""
        self.duplex_confidence = duplex_confidence
        self._clock = clock
        self._lock = threading.Lock()
        self._speaking = 0
        self._since = 0.0
        self._words: set[str] = set()
        self._windows: list[tuple[float, float, frozenset[str]]] = []  # recent, closed
        self._open_at = float("-inf")

    def now(self) -> float:
        return float(self._clock())

    def speaking_started(self, t: float | None = None, text: str = "") -> None:
        """One utterance of the coach began at `t`; overlapping ones make one window."""
        t = self.now() if t is None else t
        with self._lock:
            if self._speaking == 0:
                self._since, self._words = t, set()
            self._speaking += 1
            self._words |= set(spoken_keys(text))

    def speaking_ended(self, t: float | None = None) -> None:
        t = self.now() if t is None else t
        with self._lock:
            if self._speaking == 0:
                return
            self._speaking -= 1
            if self._speaking == 0:
                self._windows.append((self._since, t, frozenset(self._words)))
                del self._windows[:-32]
                self._open_at = max(self._open_at, t + self.tail_s)

    def gated(self, t: float | None = None) -> bool:
        """Is the coach (or its echo) sounding at `t`? For chunk-by-chunk gating."""
        t = self.now() if t is None else t
        with self._lock:
            return self._speaking > 0 or t < self._open_at

    def own_words(self, onset: float) -> frozenset[str] | None:
        """The words the coach was saying when an utterance began at `onset`; None: it was quiet."""
        with self._lock:
            hit = [words for start, end, words in self._windows
                   if start - self.lead_s <= onset <= end + self.tail_s]
            if self._speaking and onset >= self._since - self.lead_s:
                hit.append(frozenset(self._words))
        return frozenset().union(*hit) if hit else None

    def allows(self, hypothesis: Hypothesis, onset: float, end: float | None = None) -> bool:
        """May this utterance, whose speech began at `onset` (gate clock), reach the coach?

        Judged by the onset, not by any overlap: a person who answers just after
        the coach stops must be heard, even though the recognizer's utterance
        reaches back into the coach's last word. `end` does not change the verdict.
        """
        if not hypothesis.text:
            return True
        words = self.own_words(onset)
        if words is None:
            return True
        key = phrase_key(hypothesis.text)
        if self.duplex is not None and self.duplex():
            return (hypothesis.confidence >= self.duplex_confidence
                    and not set(key.split()) <= words)
        return (
            key in self.barge_in
            and hypothesis.confidence >= self.barge_in_confidence
            and not set(key.split()) <= words
        )


def spoken_keys(text: str) -> tuple[str, ...]:
    """The words of `text` as phrase keys compare them (lower case, no punctuation)."""
    return tuple(k for k in (phrase_key(w) for w in text.split()) if k)


class Listener:
    """Recognizer + gate + the stream's clock: audio chunks in, judged hypotheses out.

    The gate judges by clock time; a recognizer knows where an utterance lies
    in its own stream (`start_s`, `end_s`). The listener keeps the mapping: the
    chunk fed at clock time `t` ends at stream second `fed_s`. The onset is
    `start_s` plus the recognizer's pre-roll (audio it keeps from before the
    speech, so a soft first consonant is not lost). A gated utterance comes out
    rejected (text "", reason "gated", `raw` = its words), for the "heard
    something" display. With `barge_in=False` nothing interrupts the coach and
    gated audio is fed as zeros (keeping the VAD's clock running).

    One per recognizer, fed from one thread (recognizers are not thread-safe).
    """

    def __init__(self, recognizer: Recognizer, gate: MicGate | None = None, *,
                 barge_in: bool = True) -> None:
        self.recognizer = recognizer
        self.gate = gate if gate is not None else MicGate()
        self.barge_in = barge_in
        self.preroll_s = float(getattr(recognizer, "preroll_s", 0.0) or 0.0)
        self.fed_s = float(getattr(recognizer, "stream_s", 0.0))
        """Seconds of audio the recognizer has had: its stream clock, at `_t`."""
        self._t = 0.0

    def set_phrases(
        self, phrases: Sequence[str], meanings: Mapping[str, str] | None = None
    ) -> None:
        self.recognizer.set_phrases(phrases, meanings)

    def feed(self, pcm: bytes, t: float | None = None) -> list[Hypothesis]:
        """One chunk (16 kHz mono int16) whose last sample arrived at `t` (default: now)."""
        self._t = self.gate.now() if t is None else t
        if not self.barge_in and self.gate.gated(self._t):
            pcm = bytes(len(pcm))
        hyps = self.recognizer.accept(pcm)
        # The recognizer's own clock if it has one (it may have heard other audio
        # before this listener, e.g. a reused one); else what was fed here.
        self.fed_s = float(getattr(self.recognizer, "stream_s",
                                   self.fed_s + len(pcm) // 2 / SAMPLE_RATE))
        return [self._judge(h) for h in hyps]

    def flush(self, t: float | None = None) -> list[Hypothesis]:
        """End of stream: the utterance in progress, judged."""
        self._t = self.gate.now() if t is None else t
        return [self._judge(h) for h in self.recognizer.flush()]

    def span(self, hyp: Hypothesis) -> tuple[float, float]:
        """(onset, end) of `hyp` on the gate's clock; without stream times, when it came out."""
        if hyp.end_s <= 0.0:
            return self._t, self._t
        onset_s = min(hyp.start_s + self.preroll_s, hyp.end_s)
        return self._t - (self.fed_s - onset_s), self._t - (self.fed_s - hyp.end_s)

    def _judge(self, hyp: Hypothesis) -> Hypothesis:
        if not hyp.text:
            return hyp
        onset, end = self.span(hyp)
        if self.barge_in:
            passes = self.gate.allows(hyp, onset, end)
        else:
            passes = self.gate.own_words(onset) is None
        if passes:
            return hyp
        return replace(hyp, text="", raw=hyp.text, reason="gated")
