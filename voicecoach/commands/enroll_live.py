"""The guided enrollment's capture: prompts, recording, checking and storing takes.

Shared by the `--no-tui` lines (commands/enroll.py) and the enrollment screen
(commands/enroll_tui.py); what happens after capture is `enroll.fit_user`.
"""

from __future__ import annotations

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
NOISE_S = 20.0
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
    """What the screen shows, and what the coach says before the first take."""
    seconds: float = 4.0
    """Longest a take may last; a phrase or a sentence ends sooner, once it is said."""
    source: str = ""
    again: str | None = None
    """What the coach says before each later take (None: `say` again); `TONE` for the blip:
    the user knows the phrase by then, and saying it again cost more time than the take."""

    def spoken(self, take: int) -> str:
        return self.say if take == 0 or self.again is None else self.again


def plan(routine: Any, command_takes: int = 3, correction_takes: int = 2) -> list[Prompt]:
    """The built-in commands' first phrases, then the routine's corrections' first phrases,
    then room noise and ordinary talk: what this user is likely to say, and what not.

    Three takes of each short command, two of each longer correction: measured, two
    takes of each single word lose commands (bench/enroll.md); a correction's several
    words are far apart from anything else the user says, and take twice as long.
    """
    from voicecoach.routine.phrases import phrase_key

    seen: set[str] = set()
    out: list[Prompt] = []
    for phrases in routine.commands.values():
        if phrases and phrase_key(phrases[0]) not in seen:
            seen.add(phrase_key(phrases[0]))
            out.append(Prompt(phrases[0], command_takes, f"Say: {phrases[0]}", again=TONE))
    corrections = [c for s in routine.steps for c in s.corrections] + list(routine.corrections)
    for c in corrections:
        if c.when and phrase_key(c.when[0]) not in seen:
            seen.add(phrase_key(c.when[0]))
            out.append(Prompt(c.when[0], correction_takes, f"Say: {c.when[0]}", again=TONE))
    out.append(Prompt(None, 1, "Now stay quiet, please, for twenty seconds.", NOISE_S, "room"))
    for i, sentence in enumerate(TALK):
        out.append(Prompt(None, 1, f"Read aloud: {sentence}", TALK_MAX_S, f"talk {i + 1}"))
    return out


def spoken_s(text: str) -> float:
    """About how long the coach takes to say `text` (espeak-ng en-us at its default rate:
    0.3 s, 47 ms a character and 0.37 s a colon or comma pause; fitted on the squat
    routine's rendered prompts, within 0.4 s of each); the blip, 0.06 s."""
    if text == TONE:
        return 0.06
    return 0.3 + 0.047 * len(text) + 0.37 * (text.count(":") + text.count(","))


def estimate_s(prompts: Sequence[Prompt], say_s: Callable[[str], float] = spoken_s) -> float:
    """Seconds a guided enrollment takes, with no take asked again: per take, the coach's
    prompt (`say_s`) and its tail (0.25 s), the user's reaction (0.5 s), the phrase
    (as long as the coach says it) and the quiet that ends the take; room noise: its
    seconds; a sentence: about as long as the coach's reading of it."""
    total = 0.0
    for p in prompts:
        for n in range(p.takes):
            total += say_s(p.spoken(n)) + PROMPT_TAIL_S
            if p.text is None and p.source == "room":
                total += p.seconds
            elif p.text is None:
                total += REACTION_S + min(p.seconds, say_s(p.say)) + TALK_END_S
            else:
                total += REACTION_S + say_s(p.text) + PHRASE_END_S
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

    def remaining(self) -> Iterator[tuple[Prompt, int]]:
        """(prompt, take number) still to record: what an earlier run stored counts."""
        for p in self.prompts:
            have = (
                self.store.count(p.text)
                if p.text is not None
                else sum(1 for r in self.store.rows() if r.get("source") == p.source)
            )
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
                self._one(prompt, n, i, len(todo))
        finally:
            self.mic.close()
        return len(todo)

    def _one(self, prompt: Prompt, n: int, i: int, total: int) -> None:
        for attempt in range(1, self.max_tries + 1):
            label = prompt.say if prompt.text is None else f"{prompt.say}  ({n + 1}/{prompt.takes})"
            if self.stop.is_set():
                raise KeyboardInterrupt
            self.show(f"[{i}/{total}] {label}")
            if self.on_prompt is not None:
                self.on_prompt(prompt, n, i, total)
            self.speak(prompt.spoken(n) if attempt == 1 else prompt.say)
            self._drain()
            if self.on_listen is not None:
                self.on_listen(prompt, n)
            pcm = self._record(prompt)
            peak = _peak_db(pcm)
            if prompt.text is None:
                self.store.add(Take(pcm, None, prompt.source))
                self.show(f"    recorded {len(pcm) / 2 / SAMPLE_RATE:.0f} s  [{level_bar(peak)}]")
                return
            take = _cut(pcm)
            problem = take_problem(take)
            if problem is None:
                self.store.add(Take(take, prompt.text, "mic"))
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


def _cut(pcm: bytes, pad_s: float = 0.35) -> bytes:
    """The take around its speech, with `pad_s` of room each side (as long as there is)."""
    from voicecoach.speech.templates import HOP, frame_levels_db

    x = np.frombuffer(pcm, dtype="<i2")
    db = frame_levels_db(x)
    if db.size == 0:
        return pcm
    loud = np.nonzero(db > max(float(np.percentile(db, 10)) + 12.0, float(db.max()) - 30.0))[0]
    if loud.size == 0:
        return pcm
    pad = int(pad_s * SAMPLE_RATE / HOP)
    a = max(0, int(loud[0]) - pad)
    b = min(db.size, int(loud[-1]) + 1 + pad)
    return x[a * HOP : b * HOP].tobytes()
