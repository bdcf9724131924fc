"""Small pure helpers for what the coach says: numbers as words, durations, speech length.

Rep counts are spoken as words ("one", "two") rather than digits so every
text-to-speech engine says them the same way, and so the speech-length
estimate (used by `simulate` and by the shell when nothing is speaking)
counts them as the words they are.
"""

from __future__ import annotations

import re

from voicecoach.routine.phrases import spoken_words

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

_PAUSE = re.compile(r"[.,;:!?]+(\s|$)")

SECONDS_PER_PAUSE = 0.25
"""Seconds a voice rests at a comma or full stop (espeak-ng rests about this long)."""
SECONDS_LEAD_IN = 0.2
"""Seconds before the first word is heard (engine start-up and audio buffering)."""


def number_words(n: int) -> str:
    """`n` (0 to 9999) in English words, e.g. 42 -> "forty-two"; larger numbers as digits."""
    if n < 0 or n > 9999:
        return str(n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    if not rest:
        tail = ""
    else:
        tail = f" and {number_words(rest)}" if rest < 100 else f" {number_words(rest)}"
    return f"{number_words(thousands)} thousand{tail}"


def duration_words(seconds: float) -> str:
    """A spoken duration: "45 seconds", "1 minute", "12 minutes 5 seconds"."""
    total = max(0, round(seconds))
    minutes, secs = divmod(total, 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not minutes:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)


def first_sentence(text: str) -> str:
    """The first sentence of `text`, with its full stop: the short form of a correction."""
    match = re.search(r"[.!?](\s|$)", text)
    return text[: match.start() + 1].strip() if match else text.strip()


def estimate_speech_seconds(text: str, rate: int) -> float:
    """About how long a voice takes to say `text` at `rate` words per minute.

    Words at the rate, plus a short rest at each comma and full stop, plus a
    lead-in. Deliberately simple: `simulate` uses it to decide when timers
    start, and the shell uses it when there is no speaker to tell it.
    """
    words = len(spoken_words(text))
    if words == 0:
        return 0.0
    pauses = len(_PAUSE.findall(text.strip()))
    return round(SECONDS_LEAD_IN + words * 60.0 / max(rate, 1) + pauses * SECONDS_PER_PAUSE, 3)
