"""The output stream: pick a device and a rate it takes, write paced blocks, know when they sound.

Why we pace writes ourselves instead of letting a blocking write wait for room:
the worker thread must stay free to react to a hush at once, and it must know
when each sample will sound (the mic gate depends on it). PortAudio's ALSA
pulse path reports a buffer size and a free space that do not match what it
really holds (measured: after "filling" the buffer, eleven more blocks went in
without blocking, then one write blocked 146 ms). So the port keeps its own
timeline: `flush()` (abort + start, ~1 ms) anchors it, every write adds its
frames, and a block sounds at `anchor + frames_written / rate` (or now, if we
fell behind: an underrun re-anchors). Writes never need to block because the
speaker keeps only a little queued: `queued_seconds()` tells it when to write.

How much to keep queued is the speaker's call: enough to survive a busy CPU or
a GIL-hungry thread (measured with two busy Python threads: a 20 ms buffer
underran hundreds of times per utterance), yet a start or a cut never waits
for it, because both flush first.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from voicecoach.errors import AudioDeviceError

FALLBACK_RATES = (48000, 44100, 22050, 16000)


def _sd() -> Any:
    try:
        import sounddevice as sd
    except OSError as exc:  # libportaudio missing
        raise AudioDeviceError(f"no audio output: PortAudio unavailable ({exc})") from exc
    return sd


def output_devices() -> list[tuple[int, str, float]]:
    """(index, name, default rate) of every device with output channels."""
    sd = _sd()
    try:
        devices = sd.query_devices()
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"no audio output: {exc}") from exc
    return [(i, d["name"], float(d["default_samplerate"])) for i, d in enumerate(devices)
            if d["max_output_channels"] > 0]


def resolve_device(spec: str | int | None) -> int:
    """Device index for `spec`: an index, a name (exact, else case-insensitive substring), or
    None for the default output. Raises AudioDeviceError with a one-line reason."""
    sd = _sd()
    outputs = output_devices()
    if not outputs:
        raise AudioDeviceError("no audio output device found")
    if spec is None or spec == "":
        default = sd.default.device[1]
        if isinstance(default, int) and default >= 0 and any(i == default for i, _, _ in outputs):
            return default
        for i, name, _ in outputs:
            if name == "default":
                return i
        return outputs[0][0]
    if isinstance(spec, int) or str(spec).strip().isdigit():
        index = int(spec)
        if any(i == index for i, _, _ in outputs):
            return index
        raise AudioDeviceError(f"no output device with index {index} (see `voicecoach devices`)")
    text = str(spec)
    for i, name, _ in outputs:
        if name == text:
            return i
    matches = [(i, name) for i, name, _ in outputs if text.lower() in name.lower()]
    if not matches:
        raise AudioDeviceError(f"no output device matches {text!r} (see `voicecoach devices`)")
    return matches[0][0]


class OutputPort:
    """An open, running mono output stream (duplicated to stereo if the device needs it)."""

    def __init__(self, device: str | int | None, preferred_rates: tuple[int, ...],
                 block_ms: int = 10, latency: float | str = 0.2) -> None:
        sd = _sd()
        self.device = resolve_device(device)
        self.device_name = str(sd.query_devices(self.device)["name"])
        default_rate = int(sd.query_devices(self.device)["default_samplerate"])
        self.rate, self.channels = self._pick_format(
            sd, (*preferred_rates, default_rate, *FALLBACK_RATES))
        self.block = max(1, self.rate * block_ms // 1000)
        try:
            self._stream = sd.OutputStream(
                device=self.device, samplerate=self.rate, channels=self.channels,
                dtype="float32", blocksize=self.block, latency=latency,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioDeviceError(f"cannot open {self.device_name!r}: {exc}") from exc
        self.latency = float(self._stream.latency)
        """Seconds PortAudio says it buffers: the most we may keep queued."""
        self.underruns = 0
        """Times the queue ran dry right after sound: an audible gap (stutter)."""
        self.flushes = 0
        self._anchor = time.monotonic()
        self._written = 0
        self._last_loud = False

    def _pick_format(self, sd: Any, rates: tuple[int, ...]) -> tuple[int, int]:
        for channels in (1, 2):
            for rate in dict.fromkeys(r for r in rates if r):
                try:
                    sd.check_output_settings(device=self.device, samplerate=rate,
                                             channels=channels, dtype="float32")
                except (sd.PortAudioError, ValueError):
                    continue
                return rate, channels
        raise AudioDeviceError(f"{self.device_name!r} takes none of the rates {rates}")

    @property
    def active(self) -> bool:
        return bool(self._stream.active)

    def queued_seconds(self, now: float | None = None) -> float:
        """Seconds of audio written but not yet played (by our timeline)."""
        now = time.monotonic() if now is None else now
        return max(0.0, self._anchor + self._written / self.rate - now)

    def write(self, block: np.ndarray, loud: bool = True) -> float:
        """Write mono samples; returns the monotonic time at which the first will sound.
        `loud`: the block is not silence (only running dry after sound is a gap anyone
        hears). Raises AudioDeviceError if the device failed."""
        sd = _sd()
        now = time.monotonic()
        if self._anchor + self._written / self.rate < now:  # ran dry: re-anchor at now
            if self._written and self._last_loud:
                self.underruns += 1
            self._anchor = now
            self._written = 0
        t = self._anchor + self._written / self.rate
        data = block.reshape(-1, 1)
        if self.channels == 2:
            data = np.repeat(data, 2, axis=1)
        try:
            if not self._stream.active:
                raise AudioDeviceError(f"output {self.device_name!r} stopped")
            self._stream.write(np.ascontiguousarray(data, dtype=np.float32))
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"output {self.device_name!r} failed: {exc}") from exc
        self._written += len(block)
        self._last_loud = loud
        return t

    def flush(self) -> None:
        """Drop everything queued (abort + start): what is written next sounds at once."""
        sd = _sd()
        try:
            self._stream.abort()
            self._stream.start()
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"output {self.device_name!r} failed: {exc}") from exc
        self._anchor = time.monotonic()
        self._written = 0
        self.flushes += 1

    def close(self) -> None:
        sd = _sd()
        try:
            self._stream.abort()
            self._stream.close()
        except sd.PortAudioError:
            pass  # the device is already gone: nothing left to release
