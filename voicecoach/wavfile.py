"""WAV audio in and out, in one place for the ears (`speech`), the mouth (`voice`) and logs.

Infrastructure: any layer may use it; it imports nothing of ours. Built on
soundfile (libsndfile) rather than a parser of our own, because it reads what
people and tools actually write: 8/16/24/32-bit PCM and float, mono to
multi-channel, any rate, WAVE_FORMAT_EXTENSIBLE (sox's 24-bit and 3+ channel
files, which the standard library's `wave` rejects on Python 3.11), and
espeak-ng's `--stdout` stream, whose header sizes are placeholders.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile


class WavError(ValueError):
    """Not readable audio; the message is one line saying why (no path: the caller adds it)."""


@dataclass(frozen=True, eq=False)
class Wav:
    """Decoded audio: float32 samples in -1..1, shape (frames, channels), and the rate."""

    samples: np.ndarray
    rate: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    def mono(self) -> np.ndarray:
        """The channels averaged, shape (frames,), float32."""
        if self.channels == 1:
            return self.samples[:, 0]
        return np.asarray(self.samples.mean(axis=1, dtype=np.float64), dtype=np.float32)


def read_wav(source: Path | bytes) -> Wav:
    """A file or the bytes of one; a missing file or a folder raises the usual OSError.

    Anything else that is not audio raises `WavError` with libsndfile's reason.
    """
    if isinstance(source, bytes):
        return _decode(io.BytesIO(source))
    with open(source, "rb") as f:
        return _decode(f)


def _decode(f: io.BufferedIOBase) -> Wav:
    try:
        samples, rate = soundfile.read(f, dtype="float32", always_2d=True)
    except soundfile.LibsndfileError as exc:
        raise WavError(str(exc.error_string).rstrip(".")) from None
    except (soundfile.SoundFileError, RuntimeError, EOFError) as exc:
        raise WavError(str(exc)) from None
    return Wav(samples, int(rate))


def write_pcm16(target: Path | BinaryIO, pcm: bytes, rate: int) -> None:
    """Mono 16-bit PCM as a plain WAV (the stdlib writer: every reader takes it)."""
    with wave.open(str(target) if isinstance(target, Path) else target, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
