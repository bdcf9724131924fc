"""The output stream: pick a device and a rate it takes, write blocks, know when they sound.

Blocking writes of small blocks (not a callback) because the speaker's worker
thread wants to *own* time: it knows which samples it wrote when, so it knows
when its own voice starts and ends. The buffer is generous (`latency`, 0.1 s)
so a busy CPU or a GIL-hungry thread does not make the voice stutter (measured:
with a 20 ms buffer and two busy Python threads, hundreds of underruns per
utterance; with 0.1 s, a handful). A big buffer would also mean a late start
and a late cut, so the speaker `flush()`es it (PortAudio abort + start, ~1 ms)
when an utterance starts from silence and when it cuts one: the new sound goes
into an empty buffer and plays at once. `write()` returns when the block will
sound, computed from how much is still queued ahead of it.
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
                 block_ms: int = 10, latency: float | str = 0.1) -> None:
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
        self.underruns = 0
        """Writes that came too late (an audible gap); a sign the buffer is too small."""
        self.flushes = 0
        self.latency = float(self._stream.latency)
        """Seconds of audio the stream buffers (PortAudio's figure)."""
        self.buffer_frames = int(self._stream.write_available)
        """Frames the buffer holds: what is writable when it is empty (just started)."""

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

    def queued_frames(self) -> int:
        """Frames written but not yet played."""
        sd = _sd()
        try:
            avail = int(self._stream.write_available)
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"output {self.device_name!r} failed: {exc}") from exc
        self.buffer_frames = max(self.buffer_frames, avail)
        return max(0, self.buffer_frames - avail)

    def writable(self) -> int:
        """Frames that can be written now without blocking."""
        sd = _sd()
        try:
            return int(self._stream.write_available)
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"output {self.device_name!r} failed: {exc}") from exc

    def write(self, block: np.ndarray) -> float:
        """Write mono samples (blocks while the buffer is full); returns the monotonic time
        at which the first of them will sound. Raises AudioDeviceError if the device failed."""
        sd = _sd()
        data = block.reshape(-1, 1)
        if self.channels == 2:
            data = np.repeat(data, 2, axis=1)
        try:
            if not self._stream.active:
                raise AudioDeviceError(f"output {self.device_name!r} stopped")
            if self._stream.write(np.ascontiguousarray(data, dtype=np.float32)):
                self.underruns += 1  # we were late: the device played a gap
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"output {self.device_name!r} failed: {exc}") from exc
        now = time.monotonic()
        ahead = self.queued_frames() - len(block)
        return now + max(0, ahead) / self.rate

    def flush(self) -> None:
        """Drop everything queued (abort + start): what is written next sounds at once."""
        sd = _sd()
        try:
            self._stream.abort()
            self._stream.start()
            self.buffer_frames = max(self.buffer_frames, int(self._stream.write_available))
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"output {self.device_name!r} failed: {exc}") from exc
        self.flushes += 1

    def close(self) -> None:
        sd = _sd()
        try:
            self._stream.abort()
            self._stream.close()
        except sd.PortAudioError:
            pass  # the device is already gone: nothing left to release
