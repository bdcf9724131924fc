"""Speech out: the coach's voice (`Speaker`), its render cache, and tones.

Depends only on the coach's effect types; the app wires the speaker's
callbacks to the coach (SpeechDone) and to the mic gate.

Layer: voice, beside speech and tui. Imports `coach`, `routine` and infrastructure,
never speech, tui, the shell or a command.
"""

from voicecoach.voice.engine import EspeakEngine, VoiceInfo
from voicecoach.voice.settings import VoiceSettings
from voicecoach.voice.speaker import Speaker, SpeakerStats
from voicecoach.voice.tones import tone, tone_kinds

__all__ = [
    "EspeakEngine",
    "Speaker",
    "SpeakerStats",
    "VoiceInfo",
    "VoiceSettings",
    "tone",
    "tone_kinds",
]
