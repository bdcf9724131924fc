"""Speech in: audio -> words. Engines load lazily, so importing this costs nothing.

`make_recognizer` picks an engine, `Listener` couples one with the `MicGate`
(the coach never hears itself), and `audio` turns mics and WAV files into
16 kHz mono chunks.

Layer: speech, beside voice and tui. Imports `coach`, `routine` and infrastructure,
never voice, tui, the shell or a command.
"""

from __future__ import annotations

from voicecoach.speech.base import Recognizer
from voicecoach.speech.choice import EngineChoice
from voicecoach.speech.engines import make_recognizer
from voicecoach.speech.gate import Listener, MicGate
from voicecoach.speech.hypothesis import Hypothesis

__all__ = ["EngineChoice", "Hypothesis", "Listener", "MicGate", "Recognizer", "make_recognizer"]
