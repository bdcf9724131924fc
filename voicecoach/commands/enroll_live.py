"""The guided enrollment's capture: prompts, recording, checking and storing takes.

Shared by the `--no-tui` lines (commands/enroll.py) and the enrollment screen
(commands/enroll_tui.py); what happens after capture is `enroll.fit_user`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from voicecoach.speech.enrollment import Take, TakeStore, check_user, take_problem

SAMPLE_RATE = 16000
TALK = (
    "I did a few squats this morning before breakfast.",
    "The weather is nice today, so maybe we can go for a walk later.",
    "Could you turn the music down a little, please?",
)
"""Ordinary talk read from the screen: the negatives (speech that must not be a command)."""
READ = "Read aloud: "
MID_SET = ("next", "repeat", "pause", "resume", "stop", "why")
"""The built-in commands a lifter says during a set, under the bar or counting reps (the
squat routine's voice-advanced steps end a set on "next"; pause, stop and resume are the
safety words; repeat and why answer the cue just heard): three takes each."""
NOISE_S = 20.0
"""Room noise the fit gets in all: gathered from the quiet around the takes, the
shortfall (if any) recorded at the end."""
MIN_ROOM_S = 1.0
"""A shortfall below this is not worth asking the user to stay quiet for."""
GAP_GUARD_S = 0.15
"""Room noise from a take's quiet keeps this far from its speech (a soft start, a breath)."""
GAP_TAKE_S = 5.0
"""Gathered quiet is stored as a room take every this many seconds (Ctrl-C keeps it)."""
TALK_MAX_S = 8.0
PHRASE_END_S = 0.5
"""Quiet after speech that ends a phrase's take: the session's own end of an utterance
(StreamingRecognizer.end_silence_s), so a pause that splits a phrase here would split
it in a session too."""
TALK_END_S = 1.0
"""Quiet that ends a read sentence (a reader pauses at commas)."""
PROMPT_TAIL_S = 0.25
"""Opening the output and the room's echo after each prompt (`_speaker`'s 0.15 s wait)."""
REACTION_S = 0.5
"""From the end of the prompt's sound to the user's first sound. The tail runs inside it:
the user reacts to what they hear, not to the mic opening, so a take's recorded quiet
before the speech is only `REACTION_S - PROMPT_TAIL_S`."""
TONE = "(tone)"
"""What `speak` is given for the short "your turn" blip (voice/tones.py `listening`) that
asks for each later take of a phrase: 0.06 s instead of saying the phrase again."""


# --- plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """One thing to record: a phrase `takes` times, or a negative (text None)."""

    text: str | None
    takes: int
    say: str
    """What the screen shows, and what the coach says again when a take is asked again."""
    seconds: float = 4.0
    """Longest a take may last; a phrase or a sentence ends sooner, once it is said."""
    source: str = ""
    again: str | None = None
    """What the coach says before each later take (None: `say` again); `TONE` for the blip:
    the user knows the phrase by then, and saying it again cost more time than the take."""
    cue: str | None = None
    """What the coach says before the first take, if not `say`: the phrase alone ("Say:"
    once, at the start, then each phrase bare; 0.6 s less a phrase), or a short lead-in
    instead of reading a whole sentence out that the screen shows."""

    def spoken(self, take: int) -> str:
        if take > 0 and self.again is not None:
            return self.again
        return self.say if self.cue is None else self.cue


def plan(routine: Any, command_takes: int = 3, other_takes: int = 2) -> list[Prompt]:
    """The built-in commands' first phrases, then the routine's corrections' first phrases,
    then ordinary talk, then whatever room noise the quiet around the takes left short:
    what this user is likely to say, and what not.

    Three takes of each built-in a lifter says mid-set (`MID_SET`: next, repeat, pause,
    resume, stop, why), two of the rest (back, help, status, slower, faster, skip rest:
    said between sets or once a session, where a miss costs a repeat) and of each
    correction (its several words are far apart from anything else the user says, and
    take twice as long). Measured: two takes of every single word lose commands
    (93 -> 84 %, bench/enroll.md), so the words that matter most keep three.
    """
    from voicecoach.routine.phrases import phrase_key

    seen: set[str] = set()
    out: list[Prompt] = []

    def add(phrase: str, takes: int) -> None:
        seen.add(phrase_key(phrase))
        cue = f"Say after me: {phrase}" if not out else phrase
        out.append(Prompt(phrase, takes, f"Say: {phrase}", again=TONE, cue=cue))

    for name, phrases in routine.commands.items():
        if phrases and phrase_key(phrases[0]) not in seen:
            add(phrases[0], command_takes if name in MID_SET else other_takes)
    corrections = [c for s in routine.steps for c in s.corrections] + list(routine.corrections)
    for c in corrections:
        if c.when and phrase_key(c.when[0]) not in seen:
            add(c.when[0], other_takes)
    for i, sentence in enumerate(TALK):
        out.append(Prompt(None, 1, READ + sentence, TALK_MAX_S, f"talk {i + 1}",
                          cue="Now read each line aloud." if i == 0 else TONE))
    out.append(Prompt(None, 1, "Now stay quiet, please, for twenty seconds.", NOISE_S, "room"))
    return out


def room_prompt(seconds: float) -> Prompt:
    """The room-noise prompt for the shortfall left after the quiet around the takes."""
    n = max(1, math.ceil(seconds - 0.05))
    return Prompt(None, 1, f"Now stay quiet, please, for {n} second{'s' * (n != 1)}.",
                  float(n), "room")


def spoken_s(text: str) -> float:
    """About how long the coach takes to say `text` (espeak-ng en-us at its default rate:
    0.3 s, 47 ms a character and 0.37 s a colon or comma pause; fitted on the squat
    routine's rendered prompts, within 0.4 s of each); the blip, 0.06 s."""
    if text == TONE:
        return 0.06
    return 0.3 + 0.047 * len(text) + 0.37 * (text.count(":") + text.count(","))


def gap_s(prompt: Prompt) -> float:
    """Room noise one take of `prompt` leaves around its speech (estimated): the user's
    reaction before it and the quiet that ends it, less `GAP_GUARD_S` each side."""
    end = PHRASE_END_S if prompt.text is not None else TALK_END_S
    return max(0.0, REACTION_S - PROMPT_TAIL_S - GAP_GUARD_S) + max(0.0, end - GAP_GUARD_S)


def estimate_s(prompts: Sequence[Prompt], say_s: Callable[[str], float] = spoken_s) -> float:
    """Seconds a guided enrollment takes, with no take asked again: per take, the coach's
    prompt (`say_s`), the user's reaction (0.5 s; the prompt's 0.25 s tail runs inside
    it), the phrase (as long as the coach says it) and the quiet that ends the take;
    a sentence: about as long as the coach would read it; room noise: what the takes'
    quiet (`gap_s`) leaves short of `NOISE_S`, if that is `MIN_ROOM_S` or more."""
    total = 0.0
    gaps = 0.0
    for p in prompts:
        if p.text is None and p.source == "room":
            short = p.seconds - gaps
            if short >= MIN_ROOM_S:
                total += say_s(room_prompt(short).say) + PROMPT_TAIL_S + short
            continue
        for n in range(p.takes):
            total += say_s(p.spoken(n)) + max(PROMPT_TAIL_S, REACTION_S)
            if p.text is None:
                total += min(p.seconds, say_s(p.say.removeprefix(READ))) + TALK_END_S
            else:
                total += say_s(p.text) + PHRASE_END_S
            gaps += gap_s(p)
    return total


# --- capture ---------------------------------------------------------------------------


class Mic(Protocol):
    def open(self) -> None: ...
    def read(self, timeout: float) -> bytes | None: ...
    def close(self) -> None: ...


def level_bar(db: float, width: int = 20) -> str:
    filled = int(np.clip((db + 60.0) / 60.0, 0.0, 1.0) * width)
    return "#" * filled + "." * (width - filled)


class LiveEnrollment:
    """The guided enrollment: speak a prompt, record a take, check it, store it.

    `speak` must return only when the prompt has finished sounding (the mic is
    drained after it, so the coach's own voice is never a take). `on_listen` is
    called as recording starts (tests play a recorded take into the loop there).
    """

    def __init__(
        self,
        user: str,
        prompts: Sequence[Prompt],
        mic: Mic,
        speak: Callable[[str], None],
        show: Callable[[str], None],
        on_listen: Callable[[Prompt, int], None] | None = None,
        max_tries: int = 3,
        on_prompt: Callable[[Prompt, int, int, int], None] | None = None,
        on_level: Callable[[float], None] | None = None,
    ) -> None:
        self.user = check_user(user)
        self.prompts = list(prompts)
        self.mic = mic
        self.speak = speak
        self.show = show
        self.on_listen = on_listen
        self.max_tries = max_tries
        self.on_prompt = on_prompt
        """(prompt, take index, position, of) as each take starts: the TUI's progress."""
        self.on_level = on_level
        """dBFS of each mic chunk while recording: the level meter."""
        self.stop = threading.Event()
        """Set from another thread (the TUI's Ctrl-C): the run stops as Ctrl-C would."""
        self.store = TakeStore(user)
        self.reasked: list[str] = []
        self._quiet: list[np.ndarray] = []
        """Room noise cut from the takes' quiet, not yet stored (`GAP_TAKE_S`)."""

    def room_s(self) -> float:
        """Seconds of room noise stored so far (room takes and the takes' quiet) and held."""
        import wave

        stored = 0.0
        for r in self.store.rows():
            path = self.store.dir / r["file"]
            if r["text"] is None and str(r.get("source", "")).startswith("room") and path.is_file():
                with wave.open(str(path), "rb") as w:
                    stored += w.getnframes() / w.getframerate()
        return stored + sum(len(q) for q in self._quiet) / SAMPLE_RATE

    def remaining(self) -> Iterator[tuple[Prompt, int]]:
        """(prompt, take number) still to record: what an earlier run stored counts."""
        for p in self.prompts:
            if p.text is None and p.source == "room":
                have = int(self.room_s() >= p.seconds - MIN_ROOM_S)
            elif p.text is not None:
                have = self.store.count(p.text)
            else:
                have = sum(1 for r in self.store.rows() if r.get("source") == p.source)
            for n in range(have, p.takes):
                yield p, n

    def run(self) -> int:
        todo = list(self.remaining())
        done_before = sum(p.takes for p in self.prompts) - len(todo)
        if done_before:
            self.show(f"resuming: {done_before} takes already recorded")
        if not todo:
            return 0  # every take is there: only the fit is left (no mic needed for it)
        self.mic.open()
        try:
            for i, (prompt, n) in enumerate(todo, 1):
                if prompt.text is None and prompt.source == "room":
                    self._store_quiet(0.0)
                    short = prompt.seconds - self.room_s()
                    if short < MIN_ROOM_S:
                        self.show(f"[{i}/{len(todo)}] room noise: {self.room_s():.0f} s from the "
                                  "quiet around the takes")
                        continue
                    prompt = room_prompt(short)
                self._one(prompt, n, i, len(todo), full=bool(done_before) and i == 1)
        finally:
            self._store_quiet(0.0)
            self.mic.close()
        return len(todo)

    def _keep_quiet(self, pcm: bytes) -> None:
        self._quiet.append(_quiet_around(pcm))
        self._store_quiet(GAP_TAKE_S)

    def _store_quiet(self, at_least_s: float) -> None:
        """Store the held quiet as one room take once it is `at_least_s` long (and at
        least 0.5 s: the decoder that replays the negatives refuses empty audio)."""
        held = sum(len(q) for q in self._quiet) / SAMPLE_RATE
        if held >= max(at_least_s, 0.5):
            pcm = np.concatenate(self._quiet).astype("<i2").tobytes()
            self.store.add(Take(pcm, None, "room gaps"))
            self._quiet = []

    def _one(self, prompt: Prompt, n: int, i: int, total: int, full: bool = False) -> None:
        """`full`: say the prompt in full even where a blip or the bare phrase would do
        (the first take after resuming: the user has not just heard the lead-in)."""
        for attempt in range(1, self.max_tries + 1):
            label = prompt.say if prompt.text is None else f"{prompt.say}  ({n + 1}/{prompt.takes})"
            if self.stop.is_set():
                raise KeyboardInterrupt
            self.show(f"[{i}/{total}] {label}")
            if self.on_prompt is not None:
                self.on_prompt(prompt, n, i, total)
            self.speak(prompt.spoken(n) if attempt == 1 and not full else prompt.say)
            self._drain()
            if self.on_listen is not None:
                self.on_listen(prompt, n)
            pcm = self._record(prompt)
            peak = _peak_db(pcm)
            if prompt.text is None:
                self.store.add(Take(pcm, None, prompt.source))
                self.show(f"    recorded {len(pcm) / 2 / SAMPLE_RATE:.0f} s  [{level_bar(peak)}]")
                if prompt.source != "room":
                    self._keep_quiet(pcm)
                return
            take = _cut(pcm)
            problem = take_problem(take)
            if problem is None:
                self.store.add(Take(take, prompt.text, "mic"))
                self._keep_quiet(pcm)
                self.show(f"    ok  [{level_bar(peak)}] {peak:.0f} dBFS")
                return
            self.reasked.append(f"{prompt.text}: {problem}")
            self.show(f"    again: {problem}  [{level_bar(peak)}]")
            if attempt < self.max_tries:
                self.speak(f"Once more, {problem.split(' (')[0]}.")
        self.show(f"    skipped {prompt.text!r} after {self.max_tries} tries")

    def _drain(self) -> None:
        while self.mic.read(0.0) is not None:
            pass

    def _record(self, prompt: Prompt) -> bytes:
        """Up to `prompt.seconds`; a phrase ends after `PHRASE_END_S` of quiet following
        speech, a sentence after `TALK_END_S`; room noise lasts its seconds."""
        chunks: list[bytes] = []
        got = 0.0
        heard = False
        quiet = 0.0
        floor: float | None = None
        deadline = time.monotonic() + prompt.seconds + 2.0
        while got < prompt.seconds and time.monotonic() < deadline:
            if self.stop.is_set():
                raise KeyboardInterrupt
            chunk = self.mic.read(0.5)
            if chunk is None:
                continue
            chunks.append(chunk)
            got += len(chunk) / 2 / SAMPLE_RATE
            db = _peak_db(chunk)
            if self.on_level is not None:
                self.on_level(db)
            if prompt.text is None and prompt.source == "room":
                continue
            floor = db if floor is None else min(floor, db)
            if db > max(floor + 12.0, -45.0):
                heard, quiet = True, 0.0
            elif heard:
                quiet += len(chunk) / 2 / SAMPLE_RATE
                if quiet >= (PHRASE_END_S if prompt.text is not None else TALK_END_S):
                    break
        return b"".join(chunks)


def _peak_db(pcm: bytes) -> float:
    from voicecoach.speech.templates import frame_levels_db

    db = frame_levels_db(np.frombuffer(pcm, dtype="<i2"))
    return float(db.max()) if db.size else -100.0


def _quiet_around(pcm: bytes, guard_s: float = GAP_GUARD_S) -> np.ndarray:
    """The recording's quiet before and after its speech, `guard_s` clear of it: room
    noise the user made while waiting for and ending the take (none if no speech)."""
    from voicecoach.speech.templates import HOP, frame_levels_db

    x = np.frombuffer(pcm, dtype="<i2")
    loud = _loud_frames(frame_levels_db(x))
    if loud.size == 0:
        return x[:0]
    guard = round(guard_s * SAMPLE_RATE / HOP)
    a = max(0, int(loud[0]) - guard) * HOP
    b = min(len(x), (int(loud[-1]) + 1 + guard) * HOP)
    return np.concatenate([x[:a], x[b:]])


def _loud_frames(db: np.ndarray) -> np.ndarray:
    """The frames of speech: 12 dB over the quietest tenth, and within 30 dB of the peak."""
    if db.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.nonzero(db > max(float(np.percentile(db, 10)) + 12.0, float(db.max()) - 30.0))[0]


def _cut(pcm: bytes, pad_s: float = 0.35) -> bytes:
    """The take around its speech, with `pad_s` of room each side (as long as there is)."""
    from voicecoach.speech.templates import HOP, frame_levels_db

    x = np.frombuffer(pcm, dtype="<i2")
    db = frame_levels_db(x)
    if db.size == 0:
        return pcm
    loud = _loud_frames(db)
    if loud.size == 0:
        return pcm
    pad = int(pad_s * SAMPLE_RATE / HOP)
    a = max(0, int(loud[0]) - pad)
    b = min(db.size, int(loud[-1]) + 1 + pad)
    return x[a * HOP : b * HOP].tobytes()
