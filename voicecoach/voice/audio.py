"""Audio as data: a mono float32 clip with its rate, WAV in/out and resampling.

Resampling is soxr's, as for the ears (voicecoach/speech/audio.py): a
band-limited filter that runs along the clip. The whole-clip FFT resample it
replaced treated a clip as periodic, so sound at one end could wrap round to
the other. Decoding WAV is `voicecoach.wavfile`'s, the one reader the ears use too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from voicecoach import wavfile


@dataclass(frozen=True, eq=False)
class Clip:
    """Mono audio."""

    samples: np.ndarray
    """float32, -1..1, shape (n,)."""
    rate: int
    """Hertz."""

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def resampled(self, rate: int) -> Clip:
        return self if rate == self.rate else Clip(resample(self.samples, self.rate, rate), rate)


def resample(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Band-limited resample of a whole clip (soxr "HQ", delay-compensated: same start,
    length scaled by dst/src); float32, clipped to -1..1 (the filter can overshoot)."""
    if src == dst or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    out: np.ndarray = soxr.resample(np.asarray(samples, dtype=np.float32), src, dst, "HQ")
    np.clip(out, -1.0, 1.0, out=out)
    return out


def trim_silence(clip: Clip, threshold: float = 0.003, pad: float = 0.01) -> Clip:
    """Drop leading/trailing near-silence: espeak-ng pads its output, and every
    millisecond of lead-in is latency and every ms of tail keeps the mic gated."""
    loud = np.flatnonzero(np.abs(clip.samples) > threshold)
    if loud.size == 0:
        return Clip(np.zeros(0, np.float32), clip.rate)
    p = int(pad * clip.rate)
    start = max(0, int(loud[0]) - p)
    end = min(clip.samples.size, int(loud[-1]) + 1 + p)
    return Clip(clip.samples[start:end], clip.rate)


def parse_wav(data: bytes) -> Clip:
    """A WAV stream as a mono clip, including espeak-ng's `--stdout`, whose header
    sizes are placeholders (0x7fffffff); not audio -> ValueError (`wavfile.WavError`)."""
    wav = wavfile.read_wav(data)
    return Clip(wav.mono(), wav.rate)


def read_wav(path: Path) -> Clip:
    """A WAV file as a mono clip; a missing file raises FileNotFoundError, junk ValueError."""
    wav = wavfile.read_wav(path)
    return Clip(wav.mono(), wav.rate)


def wav_bytes(clip: Clip) -> bytes:
    pcm = np.clip(np.round(clip.samples * 32767.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    wavfile.write_pcm16(buf, pcm.tobytes(), clip.rate)
    return buf.getvalue()
