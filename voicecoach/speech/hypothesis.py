"""What a recognizer heard: one finished utterance, accepted or rejected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hypothesis:
    """One utterance. `text` is "" when it was rejected (speech that is not a command).

    The recognizer only says which words were heard; meaning (text -> Intent) is
    `voicecoach.coach.intents.match`, so keys, typed text and speech share one rule.
    """

    text: str
    """The phrase's words, lower case, or "" when rejected."""
    confidence: float
    """0..1; for a rejected utterance, how sure the winning command path was."""
    start_s: float = 0.0
    """Seconds since the recognizer's stream began, where speech started."""
    end_s: float = 0.0
    """Seconds since the stream began, where speech ended (the decision point for early ends)."""
    decode_s: float = 0.0
    """Wall-clock seconds spent decoding this utterance (the part after its audio arrived)."""
    raw: str = ""
    """What the engine's search produced before rejection (for logs and the bench)."""
    reason: str = ""
    """Why it was rejected ("garbage", "low-confidence", "partial", "gated"...), else ""."""
    early: bool = False
    """Decided before the full trailing silence, because the words were already unambiguous."""
    in_talk: bool = False
    """Began within the after-talk pause of someone's words (`gate.Listener`): part of a
    stream of talk (a radio, a conversation), not a command someone paused to give."""

    @property
    def rejected(self) -> bool:
        return not self.text

    @property
    def accepted(self) -> bool:
        return bool(self.text)
