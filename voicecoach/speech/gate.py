"""The coach must never hear itself: a gate on the mic while it speaks, and the Listener.

While the speaker plays, and for `tail_s` after (room echo), incoming audio is
replaced by zeros rather than dropped (so the VAD's timing holds), except on
the barge-in path: the recognizer keeps hearing the real audio, but while
gated only the "stop"/"pause" commands, at a stricter confidence, pass. The
voice side calls `speaking_started`/`speaking_ended`; app.py wires the
Speaker's callbacks to them (speech and voice never import each other).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from voicecoach.routine.phrases import phrase_key
from voicecoach.speech.base import Recognizer
from voicecoach.speech.hypothesis import Hypothesis

BARGE_IN_COMMANDS = ("stop", "pause")


class MicGate:
    """Knows when the coach is speaking; thread-safe (the speaker calls from its own thread)."""

    def __init__(self, tail_s: float = 0.5, clock: object = time.monotonic) -> None:
        self.tail_s = tail_s
        """Seconds after speech ends during which the mic stays gated (echo, reverb)."""
        self._clock = clock
        self._lock = threading.Lock()
        self._speaking = 0
        self._open_at = float("-inf")
        self._windows: list[list] = []  # [start, end, text] of recent coach speech

    def allows(
        self, hypothesis: Hypothesis, onset: float, end: float, barge_in_confidence: float = 0.8
    ) -> bool:
        """For callers that judge whole utterances by clock time: may this one pass?

        Judged by where the utterance *began* (onset): a person answering just
        after the coach stops must be heard even if the utterance reaches back.
        Inside a speaking window (plus tail), only a confident stop/pause passes,
        and never one whose words the coach itself was saying in that window.
        """
        if not hypothesis.text:
            return True
        with self._lock:
            hit = [w for w in self._windows if w[0] <= onset <= w[1] + self.tail_s]
        if not hit:
            return True
        key = phrase_key(hypothesis.text)
        from voicecoach.routine.commands import BUILTIN_COMMANDS

        barge = {phrase_key(p) for c in BARGE_IN_COMMANDS for p in BUILTIN_COMMANDS[c]}
        if key not in barge or hypothesis.confidence < barge_in_confidence:
            return False
        return not any(key in phrase_key(str(w[2])) for w in hit)

    def now(self) -> float:
        return float(self._clock())  # type: ignore[operator]

    def speaking_started(self, t: float | None = None, text: str = "") -> None:
        t = self.now() if t is None else t
        with self._lock:
            self._speaking += 1
            self._windows.append([t, float("inf"), text])
            del self._windows[:-32]

    def speaking_ended(self, t: float | None = None) -> None:
        t = self.now() if t is None else t
        with self._lock:
            self._speaking = max(0, self._speaking - 1)
            self._open_at = max(self._open_at, t + self.tail_s)
            for w in reversed(self._windows):
                if w[1] == float("inf"):
                    w[1] = t
                    break

    def gated(self, t: float | None = None) -> bool:
        t = self.now() if t is None else t
        with self._lock:
            return self._speaking > 0 or t < self._open_at


@dataclass
class Listener:
    """Recognizer + gate + the current phrases: audio chunks in, accepted hypotheses out.

    Usage in the app: `listener.set_phrases(active_phrases(routine, step))` on
    each step change, then `for hyp in listener.feed(chunk)` from the mic
    thread; rejected utterances come out too (text ""), for the "heard
    something" display, unless `only_accepted`.
    """

    recognizer: Recognizer
    gate: MicGate = field(default_factory=MicGate)
    barge_in_confidence: float = 0.8
    """A barge-in (stop/pause while the coach speaks) needs at least this confidence."""
    barge_in: bool = True
    only_accepted: bool = False
    _barge_keys: frozenset[str] = frozenset()
    _gated_in_utt: bool = False

    def set_phrases(self, phrases: Sequence[str], barge_in_phrases: Iterable[str] = ()) -> None:
        """The active phrases, and which of them may interrupt the coach (default: stop/pause words)."""
        self.recognizer.set_phrases(phrases)
        barge = set(phrase_key(p) for p in barge_in_phrases)
        if not barge:
            from voicecoach.routine.commands import BUILTIN_COMMANDS

            barge = {phrase_key(p) for c in BARGE_IN_COMMANDS for p in BUILTIN_COMMANDS[c]}
        self._barge_keys = frozenset(barge)

    def feed(self, pcm: bytes, t: float | None = None) -> list[Hypothesis]:
        """One chunk (16 kHz mono int16). `t` is when it was captured (default: now)."""
        gated = self.gate.gated(t)
        if gated and not self.barge_in:
            pcm = bytes(len(pcm))  # zero-fill: keep the VAD's clock running
        # Between utterances the flag follows the gate; inside one it remembers any overlap.
        self._gated_in_utt = gated or (self.recognizer.in_speech and self._gated_in_utt)
        out = [self._judge(h) for h in self.recognizer.accept(pcm)]
        return [h for h in out if h.text or not self.only_accepted]

    def _judge(self, hyp: Hypothesis) -> Hypothesis:
        """An utterance that overlapped the coach's speech passes only as a confident barge-in."""
        if not self._gated_in_utt or not hyp.text:
            return hyp
        if phrase_key(hyp.text) in self._barge_keys and hyp.confidence >= self.barge_in_confidence:
            return hyp
        return Hypothesis(
            "",
            hyp.confidence,
            hyp.start_s,
            hyp.end_s,
            hyp.decode_s,
            raw=hyp.raw,
            reason="gated",
            early=hyp.early,
        )

    def flush(self) -> list[Hypothesis]:
        return [
            h
            for h in (self._judge(h) for h in self.recognizer.flush())
            if h.text or not self.only_accepted
        ]

    def chunks(self, source: Iterable[bytes]) -> Iterator[Hypothesis]:
        for chunk in source:
            yield from self.feed(chunk)
        yield from self.flush()
