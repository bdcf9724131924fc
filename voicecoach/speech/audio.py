"""Audio in: WAV files and microphones, as 16 kHz mono int16 chunks.

Everything downstream (VAD, recognizers, the gate) sees one format, so the
conversions live here: stereo down-mix and resampling from whatever rate the
device or file has (USB mics often do 44.1/48 kHz only). Decoding a WAV file is
`voicecoach.wavfile`'s (shared with the voice); resampling is soxr's.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soxr

from voicecoach import wavfile
from voicecoach.errors import AudioDeviceError, UsageError
from voicecoach.speech.base import level_db

TARGET_RATE = 16000
CHUNK_S = 0.02
"""Seconds per chunk handed to the recognizer. The answer to a command waits for the chunk
that holds the end of its pause, so a chunk's length is added to every answer (half of it
on average). Measured side by side on the generated phrases of "Speech in" (CPU time,
chunks queued in real time): end of speech to decision p95 335 ms with 50 ms chunks, 302 ms
with 20 ms (bench/results.md has the current figure). What is heard does not depend on it
(the same 475 real clips gave the same answers at both sizes)."""


# --- conversions ------------------------------------------------------------


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels (a (n, ch) array); a mono (n,) array passes through."""
    if samples.ndim == 1:
        return samples
    return np.asarray(samples.astype(np.float64).mean(axis=1))


class Resampler:
    """Streaming resampler (soxr's `ResampleStream`, "HQ"), filter state kept across chunks.

    Why not linear interpolation: 48 kHz -> 16 kHz without a low-pass folds
    8-24 kHz hiss into the speech band. soxr replaced our own windowed sinc
    (bench/shape-libraries.md): a 9 kHz tone at 48 kHz now comes out at -146 dB
    instead of -13 dB, 7 kHz passes flat instead of -4 dB, and it costs a quarter
    of the CPU. Its output is delay-compensated: sample 0 out is sample 0 in.
    """

    def __init__(self, in_rate: int, out_rate: int = TARGET_RATE) -> None:
        self.in_rate, self.out_rate = in_rate, out_rate
        self._stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float64", quality="HQ")

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Resample one chunk (any length); float64 out, on the scale it came in."""
        out: np.ndarray = self._stream.resample_chunk(np.asarray(samples, dtype=np.float64))
        return out

    def flush(self) -> np.ndarray:
        """The samples still inside the filter, at the end of a stream."""
        out: np.ndarray = self._stream.resample_chunk(np.zeros(0, np.float64), last=True)
        return out


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def level_dbfs(pcm: bytes) -> tuple[float, float]:
    """(RMS, peak) of an int16 chunk in dBFS, for the mic meter; -100 for silence."""
    x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
    if x.size == 0:
        return -100.0, -100.0
    peak = float(np.max(np.abs(x.astype(np.float64)))) / 32768.0
    return level_db(x), 20 * math.log10(peak) if peak > 1e-5 else -100.0


# --- WAV files ----------------------------------------------------------------


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Samples as float64 int16-scale, (n, channels), and the rate; bad files -> UsageError."""
    try:
        wav = wavfile.read_wav(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a WAV file") from None
    except PermissionError:
        raise UsageError(f"{path}: not allowed to read it") from None
    except wavfile.WavError as exc:
        raise UsageError(f"{path}: not a readable WAV file ({exc})") from None
    return wav.samples.astype(np.float64) * 32768.0, wav.rate


def wav_pcm16k(path: Path) -> bytes:
    """A whole WAV file as 16 kHz mono int16 bytes, exactly as long as the file."""
    x, rate = read_wav(path)
    mono = to_mono(x)
    if rate != TARGET_RATE and mono.size:
        # soxr's output is delay-compensated, so file times (start_s, end_s) match the file.
        mono = soxr.resample(mono, rate, TARGET_RATE, quality="HQ")
    return to_int16(mono).tobytes()


class Source(Protocol):
    """What a session listens to: `MicSource` or `WavSource`, 16 kHz mono int16 chunks."""

    @property
    def device_name(self) -> str:
        """What to call it in a status line."""

    def open(self) -> None:
        """Start (again); a VoicecoachError says why it cannot."""

    @property
    def active(self) -> bool:
        """False once it died (an unplugged mic): close it and open it again."""

    def read(self, timeout: float) -> bytes | None:
        """The next chunk; None if none came within `timeout`, b"" at the end of a file."""

    def close(self) -> None: ...


class WavSource:
    """A WAV file fed as if it were a mic (`run --input-file`): optionally paced and looped.

    Two ways to read it: `chunks()`, an iterator over the whole file, and the
    source protocol the session's listen thread uses (`open`, `read`,
    `active`, `close`), which `MicSource` speaks too. Pacing matters for a
    session: the coach's timers, the mic gate and the latency all assume audio
    arrives as it is spoken; `realtime=False` feeds as fast as it is read
    (tests of the decoding).
    """

    def __init__(self, path: Path, *, realtime: bool = False, loop: bool = False,
                 chunk_s: float = CHUNK_S) -> None:
        self.path = path
        self.realtime = realtime
        self.loop = loop
        self.chunk_s = chunk_s
        self.device_name = str(path)
        self.finished = False
        """True once a non-looping file has been read to its end."""
        self._pcm: bytes | None = None
        self._pos = 0
        self._t0: float | None = None
        self._fed = 0

    def open(self) -> None:
        """Decode the file (once; bad files raise UsageError) and start from its beginning."""
        if self._pcm is None:
            self._pcm = wav_pcm16k(self.path)
        self._pos = self._fed = 0
        self._t0 = None
        self.finished = False

    @property
    def active(self) -> bool:
        return self._pcm is not None

    def read(self, timeout: float) -> bytes | None:
        """The next chunk; None if it is not due within `timeout` (pacing), b"" at the end."""
        if self._pcm is None:
            self.open()
        assert self._pcm is not None
        if self._pos >= len(self._pcm):
            if not self.loop or not self._pcm:
                self.finished = True
                if self.realtime:
                    time.sleep(min(timeout, 0.05))  # an ended file must not spin its reader
                return b""
            self._pos = 0
        if self.realtime:
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now
            due = self._t0 + self._fed / (2 * TARGET_RATE)
            if due - now > timeout:
                time.sleep(timeout)
                return None
            if due > now:
                time.sleep(due - now)
        step = int(self.chunk_s * TARGET_RATE) * 2
        chunk = self._pcm[self._pos : self._pos + step]
        self._pos += len(chunk)
        self._fed += len(chunk)
        return chunk

    def chunks(self) -> Iterator[bytes]:
        """The file (over and over if `loop`), chunk by chunk."""
        self.open()
        while chunk := self.read(math.inf):
            yield chunk

    def close(self) -> None:
        if self._pcm is not None:
            self._pos = len(self._pcm)


# --- microphones ----------------------------------------------------------------

REINIT_EVERY = 10
"""Consecutive failed mic opens between PortAudio re-initialisations (see `MicSource.open`)."""


def _sd(reinit: bool = False) -> Any:
    """sounddevice; with `reinit`, PortAudio restarted so devices added since start-up are seen.

    Re-initialising closes every stream of the process (the speaker's too): see
    `MicSource.open` for when that price is paid.
    """
    try:
        import sounddevice as sd
    except OSError as exc:  # libportaudio missing
        raise AudioDeviceError(
            f"PortAudio is not available ({exc}); install libportaudio2"
        ) from None
    if reinit:
        try:
            sd._terminate()
            sd._initialize()
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"cannot start PortAudio: {exc}") from None
    return sd


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    inputs: int
    outputs: int
    default_rate: float
    hostapi: str
    is_default_input: bool = False
    is_default_output: bool = False


def list_devices() -> list[DeviceInfo]:
    """Every device; PortAudio is restarted first if it lists no input (for `devices`)."""
    found = _list_devices(reinit=False)
    return found if any(d.inputs for d in found) else _list_devices(reinit=True)


def _list_devices(reinit: bool) -> list[DeviceInfo]:
    sd = _sd(reinit)
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"cannot list audio devices: {exc}") from None
    return [
        DeviceInfo(
            i,
            d["name"],
            d["max_input_channels"],
            d["max_output_channels"],
            d["default_samplerate"],
            hostapis[d["hostapi"]]["name"],
            i == default_in,
            i == default_out,
        )
        for i, d in enumerate(devices)
    ]


def find_input_device(spec: str | int | None) -> DeviceInfo:
    """By index, exact name or case-insensitive name substring; None = the default input."""
    return _pick_input(list_devices(), spec)


def _pick_input(devices: list[DeviceInfo], spec: str | int | None) -> DeviceInfo:
    inputs = [d for d in devices if d.inputs > 0]
    if not inputs:
        raise AudioDeviceError(
            "no audio input device found (is a microphone plugged in, "
            "and is the sound server running?)"
        )
    if spec is None or spec == "":
        # No default input set (PortAudio says -1) is common with ALSA: the sound
        # server's device is then the one that follows the desktop's choice.
        for d in inputs:
            if d.is_default_input:
                return d
        for d in inputs:
            if d.name in ("default", "pulse"):
                return d
        return inputs[0]
    text = str(spec).strip()
    if text.isdigit():
        for d in inputs:
            if d.index == int(text):
                return d
        raise AudioDeviceError(f"no input device with index {text}; see `voicecoach devices`")
    exact = [d for d in inputs if d.name.lower() == text.lower()]
    matches = exact or [d for d in inputs if text.lower() in d.name.lower()]
    if not matches:
        names = ", ".join(repr(d.name) for d in inputs)
        raise AudioDeviceError(f"no input device matches {text!r}; inputs: {names}")
    return matches[0]


class MicSource:
    """A microphone as 16 kHz mono int16 chunks, through a queue the audio callback never blocks on.

    The PortAudio callback only copies the block into a bounded queue (dropping
    and counting when the consumer falls behind); down-mixing and resampling
    happen in the consumer's thread. Two ways to read it: `read()` after
    `open()` (the session's listen thread, which supervises reopening itself),
    or `chunks()`, which notices a stream that stopped (device unplugged,
    server gone) and reopens it, retrying until `stop()`.
    """

    def __init__(
        self,
        device: str | int | None = None,
        chunk_s: float = CHUNK_S,
        queue_s: float = 5.0,
        retry_s: float = 1.0,
        reinit_every: int = REINIT_EVERY,
    ) -> None:
        self.device_spec = device
        self.chunk_s = chunk_s
        self.retry_s = retry_s
        self.reinit_every = reinit_every
        self.dropped = 0
        """Blocks the callback dropped because the queue was full."""
        self.reopened = 0
        self.failed_opens = 0
        """Consecutive failed `open()`s (reset by a successful one)."""
        self.device: DeviceInfo | None = None
        self.last_error: AudioDeviceError | None = None
        # Seconds of audio the listener may fall behind before blocks are dropped.
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=max(1, round(queue_s / chunk_s)))
        self._stream: Any = None
        self._stopped = threading.Event()
        self._resampler: Resampler | None = None

    @property
    def device_name(self) -> str:
        return self.device.name if self.device is not None else str(self.device_spec or "default")

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        try:
            self._queue.put_nowait(indata.copy())
        except queue.Full:
            self.dropped += 1  # the consumer fell behind: drop, never block the callback

    def open(self) -> None:
        """(Re)open the device at a rate it supports; else AudioDeviceError, in one line.

        When PortAudio is re-initialised: re-initialising closes every other
        stream of the process, the speaker's output included, so it must be
        rare; but PortAudio lists devices only as they were at its start, so
        without it a sound server started later, or a replugged USB mic (a new
        ALSA card), is never found. So: on a first attempt only if no input
        is listed at all, and after every `reinit_every` consecutive failed
        opens regardless of what is listed; never on a routine (re)open.
        """
        self.close()
        due = self.failed_opens > 0 and self.failed_opens % self.reinit_every == 0
        try:
            devices = _list_devices(reinit=due)
            if not due and self.failed_opens == 0 and not any(d.inputs for d in devices):
                devices = _list_devices(reinit=True)
            self._open(_pick_input(devices, self.device_spec))
        except AudioDeviceError:
            self.failed_opens += 1
            raise
        self.failed_opens = 0

    def _open(self, device: DeviceInfo) -> None:
        sd = _sd()
        channels = min(device.inputs, 2)
        rates = [TARGET_RATE, int(device.default_rate), 48000, 44100]
        last: Exception | None = None
        for rate in dict.fromkeys(rates):
            try:
                sd.check_input_settings(
                    device=device.index, samplerate=rate, channels=channels, dtype="int16"
                )
                stream = sd.InputStream(
                    device=device.index,
                    samplerate=rate,
                    channels=channels,
                    dtype="int16",
                    blocksize=int(rate * self.chunk_s),
                    callback=self._callback,
                )
                stream.start()
            except (sd.PortAudioError, ValueError) as exc:
                last = exc
                continue
            while not self._queue.empty():  # blocks of a previous stream
                self._queue.get_nowait()
            self._stream, self.device = stream, device
            self._resampler = Resampler(rate) if rate != TARGET_RATE else None
            return
        raise AudioDeviceError(
            f"cannot open input {device.name!r}: {last or 'no usable rate'}"
            " (busy, unplugged, or no supported sample rate)"
        )

    @property
    def active(self) -> bool:
        """False when not open, or when the stream died (unplugged, server gone)."""
        try:
            return self._stream is not None and bool(self._stream.active)
        except Exception:  # PortAudio itself gone (terminated): as dead as a stream gets
            return False

    def read(self, timeout: float) -> bytes | None:
        """The next chunk, or None if none came within `timeout` (check `active` then)."""
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        return self._convert(block)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            # A stream of a vanished server may fail to close: nothing is left to release.
            with contextlib.suppress(Exception):
                stream.close(ignore_errors=True)

    def stop(self) -> None:
        self._stopped.set()

    def _convert(self, block: np.ndarray) -> bytes:
        mono = to_mono(block)
        out = self._resampler.process(mono) if self._resampler else mono
        return to_int16(np.asarray(out)).tobytes()

    def chunks(self, timeout_s: float = 0.5) -> Iterator[bytes]:
        """Yield chunks until `stop()`; reopen a dead stream, retrying every `retry_s`.

        While the device is gone, yields nothing and keeps `last_error` set, so
        the UI can say "microphone lost, retrying" instead of freezing.
        """
        while not self._stopped.is_set():
            if not self.active:
                try:
                    self.open()
                    self.last_error = None
                    self.reopened += 1
                except AudioDeviceError as exc:
                    self.last_error = exc
                    self._stopped.wait(self.retry_s)
                    continue
            chunk = self.read(timeout_s)
            if chunk is not None:
                yield chunk
        self.close()
