"""How well the session heard the person, and what to do when it heard them badly.

The generic English model hears some voices far worse than others: on recordings of
real people it gets about half of their single words, while the same people enrolled
(`voicecoach enroll`, about two minutes) are heard nine times in ten (bench/enroll.md).
A person who is missed often never learns that, unless the session says so at its end:
"heard you 9 of 16 times" and the one command that fixes it.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_MISSED = 4
"""Fewer misses than this say nothing: a cough or a word to someone else is not a pattern."""
MIN_MISSED_SHARE = 0.3
"""Of the utterances with words in them; below this the ears are doing about as well as
enrollment would make them, and the advice would be noise."""
ENROLLING_ENGINES = ("pocketsphinx",)
"""Engines that `voicecoach enroll` adapts (Vosk keeps its thresholds and templates only)."""


@dataclass
class HearingTally:
    """Spoken utterances that had words in them, by whether they reached the coach."""

    understood: int = 0
    """Taken as a phrase (the coach then acted on it or said it does not apply now)."""
    missed: int = 0
    """The decoder heard words but the recognizer rejected them: not a command it knew."""

    @property
    def spoken(self) -> int:
        return self.understood + self.missed


def hearing_note(tally: HearingTally, engine: str, user: str | None) -> str | None:
    """A line for the end of the session, or None when there is nothing useful to say.

    `user`: the enrolled voice the session heard with, if any.
    """
    if tally.missed < MIN_MISSED or tally.missed < MIN_MISSED_SHARE * tally.spoken:
        return None
    heard = f"heard you {tally.understood} of {tally.spoken} times"
    if engine not in ENROLLING_ENGINES:
        return f"{heard}; speak close to the mic, or try --engine pocketsphinx with enrollment"
    if user:
        return (f"{heard}; if it missed what you said, enroll again in this room "
                f"(voicecoach enroll --user {user})")
    return (f"{heard}; voicecoach enroll --user NAME teaches it your voice "
            "(about 2 minutes), then run with --user NAME")
