"""Audio as data: a mono float32 clip with its rate, WAV in/out and resampling.

No scipy: the speaker must work on a Raspberry Pi without it, and a clip is
short (seconds), so a whole-clip FFT resample is both simple and clean (no
aliasing from linear interpolation). Decoding WAV is `voicecoach.wavfile`'s,
the one reader the ears use too.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
    """Band-limited resample of a whole clip (FFT zero-pad or truncate)."""
    if src == dst or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    n_out = max(1, round(samples.size * dst / src))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    n_bins = n_out // 2 + 1
    if n_bins <= spectrum.size:
        spectrum = spectrum[:n_bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(n_bins - spectrum.size, spectrum.dtype)])
    out = np.fft.irfft(spectrum, n_out) * (n_out / samples.size)
    return np.clip(out, -1.0, 1.0).astype(np.float32)


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
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(clip.rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()
