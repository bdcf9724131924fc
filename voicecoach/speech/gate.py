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
never among the words the coach was saying *around that moment*. Why only
around it: a cue of 12 s says "on", "up", "next" somewhere, and the whole-cue
rule made those commands unhearable for all of it ("Say next when you're
ready." could never be answered with "next" over its tail). The coach's echo
of a word sounds when the word is said, so a word's time is estimated from
its place in the text (espeak-ng speaks about 16 characters a second at 165
words a minute; measured on the squat cues: 13.7-18.9, and with the real
duration known the place is within 0.3 s, sd) and the rule covers
`own_word_slack_s` plus a fifth of the time into the utterance either side.
Until duplex (the first seconds of a session, while the filter converges)
the half-duplex rule above holds. It also holds, in full duplex, for an
utterance no louder than the coach's leftover echo (`leftover`, e.g.
`voicecoach.speech.echo.ResidualGate.leftover`): measured in the loop, the
leftover decoded to phrases at confidence 0.7-1.0, so no confidence threshold
keeps the coach from answering its own leftover, but its level does; and a
"stop" said at the leftover's level is still heard as without cancellation.
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
AFTER_TALK_S = 1.0
"""Seconds of quiet a command needs after someone's talk (`Listener`): below it, the command
is taken to be a piece of the talk."""
CHARS_PER_SECOND = 15.9
"""espeak-ng's speaking rate at 165 words a minute, in characters of text (measured, see
the module docstring); scaled by nothing else: the slack covers other rates."""
DUPLEX_CONFIDENCE = 0.4
"""Confidence a phrase heard over the coach needs with echo cancellation: what keeps the
commands the canceller damaged from turning into other commands. (The coach's own leftover
is rejected by its level, `leftover`: 0 self-triggers over the 92 texts with no threshold at
all.) A word said over the echo loses its first frames to the canceller, and what is left
decodes to another command ("stop" -> "up", "off", "one moment"), at any confidence but more
often at a low one. Measured in the loop (bench/echo.md, seventh round; 160 clips of real
people at +6 dB over the coach, clips 1-8 and 9-16 of each word, no threshold, read off per
threshold): heard 24 / 29 / 34 % and wrong commands 4.4 / 6.9 / 10.6 % at 0.6 / 0.4 / 0.3,
against 37 % heard and 5.6 % wrong for the same clips in silence. 0.4 is the lowest at which
the wrong commands stay near silence's, and it keeps the gap within 10 points on each set
(8.75 and 7.5). It was 0.6 while the canceller's leftover had no other rule against it."""


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
        own_word_slack_s: float = 1.0,
        leftover: Callable[[float, float], bool] | None = None,
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
        self.own_word_slack_s = own_word_slack_s
        """Full duplex: seconds either side of a coach's word's estimated time it still counts
        as the coach's own (plus a fifth of its time into the utterance)."""
        self.leftover = leftover
        """Full duplex: is an utterance (onset, end) no louder than the coach's leftover echo?
        (`voicecoach.speech.echo.ResidualGate.leftover`); None: not judged."""
        self._clock = clock
        self._lock = threading.Lock()
        self._speaking = 0
        self._since = 0.0
        self._words: set[str] = set()
        self._windows: list[tuple[float, float, frozenset[str]]] = []  # recent, closed
        self._open_at = float("-inf")
        self._utterances: list[tuple[float, float | None, str]] = []
        """(start, end or None while it lasts, text) of the coach's recent utterances, for the
        full-duplex rule."""

    def now(self) -> float:
        return float(self._clock())

    @property
    def full_duplex(self) -> bool:
        """Echo cancellation is on and removes the coach's voice now."""
        return self.duplex is not None and self.duplex()

    def speaking_started(self, t: float | None = None, text: str = "") -> None:
        """One utterance of the coach began at `t`; overlapping ones make one window."""
        t = self.now() if t is None else t
        with self._lock:
            if self._speaking == 0:
                self._since, self._words = t, set()
            self._speaking += 1
            self._words |= set(spoken_keys(text))
            self._utterances.append((t, None, text))
            del self._utterances[:-32]

    def speaking_ended(self, t: float | None = None) -> None:
        t = self.now() if t is None else t
        with self._lock:
            if self._speaking == 0:
                return
            self._speaking -= 1
            for i in range(len(self._utterances) - 1, -1, -1):
                start, end, text = self._utterances[i]
                if end is None:
                    self._utterances[i] = (start, t, text)
                    break
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

    def words_near(self, onset: float, end: float | None = None) -> frozenset[str]:
        """The coach's words estimated to sound from `own_word_slack_s` (and more, later in a
        long utterance) before `onset` to as long after `end` (see the module docstring)."""
        end = onset if end is None else max(onset, end)
        found: set[str] = set()
        with self._lock:
            utterances = list(self._utterances)
        for start, stop, text in utterances:
            if onset > (stop if stop is not None else float("inf")) + self.tail_s + 3.0:
                continue
            length = max(1, len(text))
            speed = (length / (stop - start) if stop is not None and stop > start
                     else CHARS_PER_SECOND)
            pos = 0
            for word in text.split():
                pos = text.find(word, pos)
                at = start + (pos + len(word) / 2) / speed
                pos += len(word)
                slack = self.own_word_slack_s + 0.2 * max(0.0, at - start)
                if onset - slack <= at <= end + slack:
                    found.update(spoken_keys(word))
        return frozenset(found)

    def allows(self, hypothesis: Hypothesis, onset: float, end: float | None = None) -> bool:
        """May this utterance, whose speech began at `onset` (gate clock), reach the coach?

        Judged by the onset, not by any overlap: a person who answers just after
        the coach stops must be heard, even though the recognizer's utterance
        reaches back into the coach's last word. `end` does not change the half-duplex
        verdict; in full duplex it bounds the coach's words that count as its own.
        """
        if not hypothesis.text:
            return True
        words = self.own_words(onset)
        if words is None:
            return True
        key = phrase_key(hypothesis.text)
        if self.full_duplex and not (self.leftover is not None
                                     and self.leftover(onset, onset if end is None else end)):
            return (hypothesis.confidence >= self.duplex_confidence
                    and not _ours(key, self.words_near(onset, end)))
        # Half duplex, or no louder than the coach's leftover echo (then, whatever it decoded
        # to, it is judged as without cancellation: only a confident barge-in).
        return (
            key in self.barge_in
            and hypothesis.confidence >= self.barge_in_confidence
            and not _ours(key, words)
        )


def _ours(key: str, coach_words: frozenset[str]) -> bool:
    """Is a phrase the coach's own: its first word the coach's (so, too, when all its words
    are)?

    The first word, not only all of them: the coach's word with the tail of its echo after
    it decodes to a phrase that begins with that word, confidently. Measured in the loop (tests/app/
    test_self_trigger.py, mobility): "Put one foot forward" / "One side per set" heard as
    "one moment" (pause) at 0.91, in 2 of 4 full runs. The price: a phrase that begins
    with a word the coach is saying cannot interrupt it ("one moment" over "one side");
    "stop" and "pause" can, unless the coach says them.
    """
    said = key.split()
    return bool(said) and said[0] in coach_words


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

    A command is not taken from the middle of talk (`after_talk_s`): one that begins
    less than that after someone's words (any utterance the recognizer found words in,
    taken or not, unless it was the coach's) comes out rejected with reason "after-talk".
    Why: a radio or a conversation in the gym is a stream of utterances a breath apart,
    and the generic model hears commands in some of them at full confidence ("that hurts"
    at 1.0); a person giving a command has paused first. Measured in bench/real-speech.md
    (3 minutes of real read speech as a radio, two seeds, alone and over music): commands
    taken from the talk 34 -> 11. Over continuous music (measured once, not in the bench:
    40 generated commands 3 s apart at 10, 5 and 0 dB), 1 lost of the 109 heard, at 0 dB:
    music seldom decodes to words. Rejected words inside talk come out marked `in_talk`:
    the session does not count a radio's sentences as commands it missed.

    One per recognizer, fed from one thread (recognizers are not thread-safe).
    """

    def __init__(self, recognizer: Recognizer, gate: MicGate | None = None, *,
                 barge_in: bool = True, after_talk_s: float = AFTER_TALK_S) -> None:
        self.recognizer = recognizer
        self.gate = gate if gate is not None else MicGate()
        self.barge_in = barge_in
        self.after_talk_s = after_talk_s
        """Quiet a command needs after someone's talk (gate clock seconds); 0: no rule."""
        self._talk_end: float | None = None
        """Where the last words someone said (not the coach) ended, on the gate's clock."""
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
        gated = self.gate.gated(self._t)
        if not self.barge_in and gated:
            pcm = bytes(len(pcm))
        room_audible = getattr(self.recognizer, "room_audible", None)  # optional, as stream_s
        if room_audible is not None:
            room_audible(not gated)  # the coach's voice is not the room's noise
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

    def hear_recording(self, pcm: bytes, chunk_bytes: int = 1600) -> list[Hypothesis]:
        """A whole recording (16 kHz mono int16) in mic-sized chunks, then its end, on the
        recording's own clock (second 0 is its first sample): transcribe and the benches
        judge a file as a session's ears would."""
        out: list[Hypothesis] = []
        for i in range(0, len(pcm), chunk_bytes):
            end = min(i + chunk_bytes, len(pcm))
            out.extend(self.feed(pcm[i:end], end / (2 * SAMPLE_RATE)))
        out.extend(self.flush(len(pcm) / (2 * SAMPLE_RATE)))
        return out

    def span(self, hyp: Hypothesis) -> tuple[float, float]:
        """(onset, end) of `hyp` on the gate's clock; without stream times, when it came out."""
        if hyp.end_s <= 0.0:
            return self._t, self._t
        onset_s = min(hyp.start_s + self.preroll_s, hyp.end_s)
        return self._t - (self.fed_s - onset_s), self._t - (self.fed_s - hyp.end_s)

    def _judge(self, hyp: Hypothesis) -> Hypothesis:
        onset, end = self.span(hyp)
        coach = self.gate.own_words(onset) is not None
        judged = self._decide(hyp, onset, end, coach)
        if (judged.text or judged.raw) and not coach:
            self._talk_end = end  # words someone said: talk a command must pause after
        return judged

    def _decide(self, hyp: Hypothesis, onset: float, end: float, coach: bool) -> Hypothesis:
        in_talk = (not coach and self._talk_end is not None and self.after_talk_s > 0
                   and onset - self._talk_end < self.after_talk_s)
        if not hyp.text:
            return replace(hyp, in_talk=True) if in_talk and hyp.raw else hyp
        passes = self.gate.allows(hyp, onset, end) if self.barge_in else not coach
        if not passes:
            return replace(hyp, text="", raw=hyp.text, reason="gated")
        if in_talk:
            return replace(hyp, text="", raw=hyp.text, reason="after-talk", in_talk=True)
        return hyp
