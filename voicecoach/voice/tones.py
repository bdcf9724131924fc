"""Short generated beeps, for people who prefer tones to a counting voice.

Each kind has its own pitch and shape so they can be told apart without
looking: `rep` is a short mid tick, `rest_end` two rising notes (get ready),
`listening` a soft high blip. Raised-cosine fades at both ends: a sine cut
at a non-zero sample clicks.
"""

from __future__ import annotations

import numpy as np

TONES: dict[str, tuple[tuple[float, float], ...]] = {
    "rep": ((880.0, 0.08),),
    "rest_end": ((660.0, 0.12), (0.0, 0.05), (990.0, 0.18)),
    "listening": ((1320.0, 0.06),),
}
"""Kind -> (Hertz, seconds) notes; 0 Hz is a gap."""
FADE = 0.008
"""Seconds of fade in and out per note."""
AMPLITUDE = 0.4


def tone_kinds() -> tuple[str, ...]:
    return tuple(TONES)


def tone(kind: str, rate: int, volume: float = 1.0) -> np.ndarray:
    """float32 mono samples of the beep `kind` at `rate` Hz; KeyError for an unknown kind."""
    parts = [_note(freq, seconds, rate) for freq, seconds in TONES[kind]]
    return (np.concatenate(parts) * (AMPLITUDE * volume)).astype(np.float32)


def _note(freq: float, seconds: float, rate: int) -> np.ndarray:
    n = int(seconds * rate)
    if freq <= 0:
        return np.zeros(n, np.float32)
    t = np.arange(n) / rate
    wave = np.sin(2 * np.pi * freq * t)
    fade = min(int(FADE * rate), n // 2)
    if fade:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
        wave[:fade] *= ramp
        wave[-fade:] *= ramp[::-1]
    return wave.astype(np.float32)
