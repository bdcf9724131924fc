"""Audio in: WAV files and microphones, as 16 kHz mono int16 chunks.

Everything downstream (VAD, recognizers, the gate) sees one format, so the
conversions live here: any WAV sample width, stereo down-mix, and resampling
from whatever rate the device or file has (USB mics often do 44.1/48 kHz only).
"""

from __future__ import annotations

import math
import queue
import threading
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.errors import AudioDeviceError, UsageError

TARGET_RATE = 16000
CHUNK_S = 0.05
"""Seconds per chunk handed to the recognizer: small enough for fast endpointing."""


# --- conversions ------------------------------------------------------------


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels (a (n, ch) array); a mono (n,) array passes through."""
    if samples.ndim == 1:
        return samples
    return samples.astype(np.float64).mean(axis=1)


class Resampler:
    """Streaming polyphase resampler (windowed-sinc low-pass), state kept across chunks.

    Why not linear interpolation: 48 kHz -> 16 kHz without a low-pass folds
    8-24 kHz hiss into the speech band. The filter is a Kaiser-windowed sinc
    with its cut-off at the lower Nyquist; rates reduce by their gcd
    (48000 -> 16000 is up 1, down 3; 44100 -> 16000 is up 160, down 441).
    """

    def __init__(self, in_rate: int, out_rate: int = TARGET_RATE, taps_per_phase: int = 24) -> None:
        g = math.gcd(in_rate, out_rate)
        self.up, self.down = out_rate // g, in_rate // g
        self.in_rate, self.out_rate = in_rate, out_rate
        n = taps_per_phase * self.up
        cutoff = 0.5 / max(self.up, self.down) * 0.95
        t = np.arange(n) - (n - 1) / 2
        h = 2 * cutoff * np.sinc(2 * cutoff * t) * np.kaiser(n, 8.0) * self.up
        # phases[p] are the taps applied to input history for output phase p.
        self._phases = np.stack([h[p :: self.up][::-1] for p in range(self.up)])
        self._taps = self._phases.shape[1]
        self._history = np.zeros(self._taps - 1)
        self.delay_out = int(round((n - 1) / 2 / self.up * out_rate / in_rate))
        """The filter's delay, in output samples (linear phase: the same for every frequency)."""
        self._pos = 0
        """Index, in the up-sampled timeline relative to the history start, of the next output."""

    def process(self, samples: np.ndarray) -> np.ndarray:
        x = np.concatenate([self._history, samples.astype(np.float64)])
        if self.up == 1 and self.down == 1:
            self._history = x[len(x) - (self._taps - 1) :] if self._taps > 1 else np.zeros(0)
            return samples.astype(np.float64)
        total_up = (len(x) - self._taps + 1) * self.up  # outputs computable in up-sampled units
        idx = np.arange(self._pos, total_up, self.down)
        base = idx // self.up  # first input sample of the window
        phase = idx % self.up
        windows = np.lib.stride_tricks.sliding_window_view(x, self._taps)[base]
        out = np.einsum("ij,ij->i", windows, self._phases[phase])
        consumed = len(x) - (self._taps - 1)
        next_pos = (idx[-1] + self.down) if idx.size else self._pos
        self._pos = next_pos - consumed * self.up
        self._history = x[consumed:]
        return out


def to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def level_dbfs(pcm: bytes) -> tuple[float, float]:
    """(RMS, peak) of an int16 chunk in dBFS, for the mic meter; -100 for silence."""
    x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)
    if x.size == 0:
        return -100.0, -100.0
    rms = math.sqrt(float(np.mean(x * x))) / 32768.0
    peak = float(np.max(np.abs(x))) / 32768.0
    return (
        20 * math.log10(rms) if rms > 1e-5 else -100.0,
        20 * math.log10(peak) if peak > 1e-5 else -100.0,
    )


# --- WAV files ----------------------------------------------------------------


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Samples as float64 int16-scale, (n,) or (n, ch), and the rate; bad files -> UsageError."""
    try:
        with wave.open(str(path), "rb") as wf:
            rate, channels, width = wf.getframerate(), wf.getnchannels(), wf.getsampwidth()
            raw = wf.readframes(wf.getnframes())
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a WAV file") from None
    except (wave.Error, EOFError) as exc:
        raise UsageError(f"{path}: not a readable WAV file ({exc})") from None
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128) * 256
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float64)
    elif width == 3:
        b = np.frombuffer(raw[: len(raw) // 3 * 3], np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v) / 256.0).astype(np.float64)
    elif width == 4:
        x = np.frombuffer(raw, "<i4").astype(np.float64) / 65536.0
    else:
        raise UsageError(f"{path}: unsupported sample width {width * 8} bits")
    if channels > 1:
        x = x[: x.size // channels * channels].reshape(-1, channels)
    return x, rate


def wav_pcm16k(path: Path) -> bytes:
    """A whole WAV file as 16 kHz mono int16 bytes."""
    x, rate = read_wav(path)
    mono = to_mono(x)
    if rate != TARGET_RATE:
        r = Resampler(rate)
        # Drop the filter's delay so file times (start_s, end_s) match the file itself.
        mono = np.concatenate([r.process(mono), r.process(np.zeros(2 * r._taps))])
        skip = r.delay_out
        mono = mono[skip : skip + int(round(x.shape[0] * TARGET_RATE / rate))]
    return to_int16(mono).tobytes()


@dataclass
class WavSource:
    """A WAV file as a stream of chunks, optionally paced in real time (for `run --input-file`)."""

    path: Path
    realtime: bool = False
    chunk_s: float = CHUNK_S

    def chunks(self) -> Iterator[bytes]:
        pcm = wav_pcm16k(self.path)
        step = int(self.chunk_s * TARGET_RATE) * 2
        start = time.monotonic()
        for k, i in enumerate(range(0, len(pcm), step)):
            if self.realtime:
                delay = start + k * self.chunk_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield pcm[i : i + step]


# --- microphones ----------------------------------------------------------------


def _sd(reinit: bool = False) -> Any:
    """sounddevice; with `reinit`, PortAudio restarted so a sound server started after import is seen.

    Re-initialising closes every stream of the process (the speaker's too), so it
    is done only when the device list came up empty, never on a routine open.
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
    inputs = [d for d in list_devices() if d.inputs > 0]
    if not inputs:
        raise AudioDeviceError(
            "no audio input device found (is a microphone plugged in, "
            "and is the sound server running?)"
        )
    if spec is None or spec == "":
        for d in inputs:
            if d.is_default_input:
                return d
        return inputs[0]
    text = str(spec)
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
    and counting when the consumer falls behind); conversion happens in the
    consumer's thread. `chunks()` notices a stream that stopped (device
    unplugged, server gone) and reopens it, retrying until `stop()`.
    """

    def __init__(
        self,
        device: str | int | None = None,
        chunk_s: float = CHUNK_S,
        queue_chunks: int = 100,
        retry_s: float = 1.0,
    ) -> None:
        self.device_spec = device
        self.chunk_s = chunk_s
        self.retry_s = retry_s
        self.dropped = 0
        """Blocks the callback dropped because the queue was full."""
        self.reopened = 0
        self.level: tuple[float, float] = (-100.0, -100.0)
        """(RMS, peak) dBFS of the latest chunk, for the UI meter."""
        self.device: DeviceInfo | None = None
        self.last_error: AudioDeviceError | None = None
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=queue_chunks)
        self._stream: Any = None
        self._stopped = threading.Event()
        self._resampler: Resampler | None = None

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        try:
            self._queue.put_nowait(indata.copy())
        except queue.Full:
            self.dropped += 1

    def open(self) -> None:
        """Open the device at a rate it supports; AudioDeviceError with a clear message otherwise."""
        sd = _sd()
        device = find_input_device(self.device_spec)
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
            self._stream, self.device = stream, device
            self._resampler = Resampler(rate) if rate != TARGET_RATE else None
            return
        raise AudioDeviceError(
            f"cannot open input {device.name!r}: {last} "
            "(busy, unplugged, or no supported sample rate)"
        )

    @property
    def active(self) -> bool:
        return self._stream is not None and bool(self._stream.active)

    def close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.close(ignore_errors=True)
            except Exception:
                pass
            self._stream = None

    def stop(self) -> None:
        self._stopped.set()

    def _convert(self, block: np.ndarray) -> bytes:
        mono = to_mono(block)
        out = self._resampler.process(mono) if self._resampler else mono
        pcm = to_int16(np.asarray(out)).tobytes()
        self.level = level_dbfs(pcm)
        return pcm

    def chunks(self, timeout_s: float = 0.5) -> Iterator[bytes]:
        """Yield chunks until `stop()`; reopen a dead stream, retrying every `retry_s`.

        While the device is gone, yields nothing and keeps `last_error` set, so
        the UI can say "microphone lost, retrying" instead of freezing.
        """
        while not self._stopped.is_set():
            if not self.active:
                self.close()
                try:
                    self.open()
                    self.last_error = None
                    self.reopened += 1
                except AudioDeviceError as exc:
                    self.last_error = exc
                    self._stopped.wait(self.retry_s)
                    continue
            try:
                block = self._queue.get(timeout=timeout_s)
            except queue.Empty:
                continue
            yield self._convert(block)
        self.close()


def open_with_retry(source: MicSource, attempts: int, delay_s: float = 1.0) -> None:
    """Try to open `source` a few times (a USB mic re-enumerating, a server starting); then raise."""
    for k in range(attempts):
        try:
            source.open()
            return
        except AudioDeviceError:
            if k == attempts - 1:
                raise
            time.sleep(delay_s)
