"""Audio in: WAV formats, resampling, levels, and the device error paths (no sound card here)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support import clips
from voicecoach.errors import AudioDeviceError, UsageError
from voicecoach.speech.audio import (
    MicSource,
    Resampler,
    WavSource,
    find_input_device,
    level_dbfs,
    read_wav,
    wav_pcm16k,
)


def _tone(freq: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * freq * t) * 10000).astype(np.int16)


def _peak_hz(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spec) * rate / x.size)


@pytest.mark.parametrize("rate", [48000, 44100, 22050, 8000])
def test_resampler_keeps_pitch_and_length_in_small_chunks(rate: int) -> None:
    x = _tone(440.0, rate)
    r = Resampler(rate)
    out = np.concatenate([r.process(x[i : i + 977]) for i in range(0, x.size, 977)])
    assert abs(out.size - 16000) <= 40
    assert abs(_peak_hz(out[200:-200], 16000) - 440.0) < 5.0


def test_resampler_removes_what_16k_cannot_carry() -> None:
    """A 12 kHz tone at 48 kHz must not fold back into the speech band as a 4 kHz whistle."""
    x = _tone(12000.0, 48000)
    out = Resampler(48000).process(x)
    assert np.sqrt(np.mean(out[100:] ** 2)) < 100  # from an RMS of ~7000


@pytest.mark.parametrize("width", [1, 2, 4])
def test_wav_sample_widths_and_stereo(tmp_path, width: int) -> None:
    x = clips.speak("next", "en-us", 160, sample_rate=48000, channels=2)
    path = clips.write_wav(tmp_path / f"w{width}.wav", x, 48000, sample_width=width)
    data, rate = read_wav(path)
    assert rate == 48000 and data.shape == x.shape
    pcm = wav_pcm16k(path)
    mono16 = clips.speak("next", "en-us", 160)
    assert abs(len(pcm) // 2 - mono16.size) <= 3
    # Same sound after our conversion as after sox's: correlation near 1.
    ours = np.frombuffer(pcm, np.int16).astype(float)[: mono16.size]
    assert np.corrcoef(ours, mono16[: ours.size].astype(float))[0, 1] > 0.95


def test_bad_wavs_are_one_line_usage_errors(tmp_path) -> None:
    (tmp_path / "junk.wav").write_bytes(b"not a wav at all")
    with pytest.raises(UsageError, match="not a readable WAV"):
        wav_pcm16k(tmp_path / "junk.wav")
    with pytest.raises(UsageError, match="no such file"):
        wav_pcm16k(tmp_path / "missing.wav")
    with pytest.raises(UsageError, match="folder"):
        wav_pcm16k(tmp_path)


def test_empty_wav_gives_no_audio(tmp_path) -> None:
    path = clips.write_wav(tmp_path / "empty.wav", np.zeros(0, np.int16))
    assert wav_pcm16k(path) == b""
    assert list(WavSource(path).chunks()) == []


def test_wav_source_chunks_cover_the_file(tmp_path) -> None:
    x = clips.speak("repeat", "en-us", 160)
    path = clips.write_wav(tmp_path / "r.wav", x)
    chunks = list(WavSource(path, chunk_s=0.05).chunks())
    assert all(len(c) == 1600 for c in chunks[:-1])
    assert b"".join(chunks) == x.tobytes()


def test_levels_in_dbfs() -> None:
    full = (np.ones(1600) * 32767).astype(np.int16).tobytes()
    rms, peak = level_dbfs(full)
    assert rms == pytest.approx(0.0, abs=0.01) and peak == pytest.approx(0.0, abs=0.01)
    rms, peak = level_dbfs((np.ones(1600) * 328).astype(np.int16).tobytes())
    assert rms == pytest.approx(-40.0, abs=0.1)
    assert level_dbfs(bytes(3200)) == (-100.0, -100.0)
    assert level_dbfs(b"") == (-100.0, -100.0)


def test_no_input_device_is_a_clear_error() -> None:
    """This machine has no sound card and no server outside the audio-loop tests: PortAudio lists
    no inputs, which is exactly the "no device" path (real PortAudio, nothing mocked)."""
    import sounddevice as sd

    if any(d["max_input_channels"] > 0 for d in sd.query_devices()):
        pytest.skip("an input device exists here; the bogus-name test covers the error path")
    with pytest.raises(AudioDeviceError, match="no audio input device"):
        find_input_device(None)
    with pytest.raises(AudioDeviceError):
        MicSource("USB mic").open()


def test_mic_source_retries_instead_of_raising() -> None:
    """chunks() never raises on a missing device: it records the error and retries until stopped."""
    import threading

    mic = MicSource("no such microphone 1234", retry_s=0.01)
    timer = threading.Timer(0.2, mic.stop)
    timer.start()
    try:
        assert list(mic.chunks(timeout_s=0.01)) == []
    finally:
        timer.cancel()
    assert isinstance(mic.last_error, AudioDeviceError)
