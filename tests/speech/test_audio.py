"""Audio in: WAV formats, resampling, levels, and the device error paths (no sound card here)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tests.support import clips
from voicecoach.errors import AudioDeviceError, UsageError
from voicecoach.speech.audio import (
    DeviceInfo,
    MicSource,
    Resampler,
    WavSource,
    _pick_input,
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
    out = np.concatenate([r.process(x[i : i + 977]) for i in range(0, x.size, 977)] + [r.flush()])
    assert abs(out.size - 16000) <= 2
    assert abs(_peak_hz(out[200:-200], 16000) - 440.0) < 5.0


def test_resampler_removes_what_16k_cannot_carry() -> None:
    """A 12 kHz tone at 48 kHz must not fold back into the speech band as a 4 kHz whistle."""
    x = _tone(12000.0, 48000)
    out = Resampler(48000).process(x)
    assert np.sqrt(np.mean(out[100:] ** 2)) < 1  # from an RMS of ~7000


def test_resampler_is_not_late() -> None:
    """soxr compensates its filter delay: a click at 0.5 s in comes out at 0.5 s."""
    x = np.zeros(48000)
    x[24000] = 30000.0
    r = Resampler(48000)
    out = np.concatenate([r.process(x[i : i + 2400]) for i in range(0, x.size, 2400)] + [r.flush()])
    assert abs(int(np.argmax(np.abs(out))) - 8000) <= 1


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


@pytest.mark.parametrize(("bits", "encoding", "channels"), [
    (24, "signed-integer", 1), (24, "signed-integer", 2), (32, "signed-integer", 2),
    (32, "floating-point", 1), (16, "signed-integer", 3)])
def test_wavs_sox_writes_as_extensible(tmp_path, bits: int, encoding: str, channels: int) -> None:
    """sox writes 24/32-bit, float and 3+ channel WAVs as WAVE_FORMAT_EXTENSIBLE: read them too."""
    src = clips.write_wav(tmp_path / "src.wav", clips.speak("next", "en-us", 160))
    path = tmp_path / f"x{bits}{encoding[0]}{channels}.wav"
    subprocess.run(["sox", str(src), "-b", str(bits), "-e", encoding, "-c", str(channels),
                    "-r", "44100", str(path)], check=True)
    data, rate = read_wav(path)
    assert rate == 44100 and data.shape[1] == channels
    mono16 = clips.speak("next", "en-us", 160)
    ours = np.frombuffer(wav_pcm16k(path), np.int16).astype(float)
    assert abs(ours.size - mono16.size) <= 3
    n = min(ours.size, mono16.size)
    assert np.corrcoef(ours[:n], mono16[:n].astype(float))[0, 1] > 0.95


def test_bad_wavs_are_one_line_usage_errors(tmp_path) -> None:
    (tmp_path / "junk.wav").write_bytes(b"not a wav at all")
    with pytest.raises(UsageError, match="not a readable WAV"):
        wav_pcm16k(tmp_path / "junk.wav")
    with pytest.raises(UsageError, match="no such file"):
        wav_pcm16k(tmp_path / "missing.wav")
    with pytest.raises(UsageError, match="folder"):
        wav_pcm16k(tmp_path)
    (tmp_path / "cut.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVE")
    with pytest.raises(UsageError, match=r"cut.wav: not a readable WAV file \(.*data") as info:
        wav_pcm16k(tmp_path / "cut.wav")
    assert "\n" not in str(info.value)


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


def test_wav_source_reads_like_a_mic(tmp_path) -> None:
    """The session's listen thread reads a file as it reads a mic: open, read, b"" at the end."""
    x = clips.speak("next", "en-us", 160)
    path = clips.write_wav(tmp_path / "n.wav", x)
    wav = WavSource(path)
    wav.open()
    assert wav.active and wav.device_name == str(path)
    got = []
    while chunk := wav.read(0.2):
        got.append(chunk)
    assert b"".join(got) == x.tobytes() and wav.finished
    assert wav.read(0.2) == b""  # stays at the end
    wav.open()  # opening again starts over
    assert wav.read(0.2) == got[0] and not wav.finished
    looped = WavSource(path, loop=True)
    looped.open()
    n = len(got) + 3
    again = [looped.read(0.2) for _ in range(n)]
    assert again[len(got)] == got[0] and not looped.finished


def test_bad_wav_fails_when_opened(tmp_path) -> None:
    wav = WavSource(tmp_path / "missing.wav", realtime=True)  # nothing read yet: no error
    with pytest.raises(UsageError, match="no such file"):
        wav.open()


def _device(index: int, name: str, inputs: int = 2, default: bool = False) -> DeviceInfo:
    return DeviceInfo(index, name, inputs, 2, 48000.0, "ALSA", is_default_input=default)


def test_choosing_the_input_device() -> None:
    devices = [_device(0, "HDA Intel PCH: ALC892 Analog (hw:0,0)"), _device(1, "HDMI", 0),
               _device(2, "USB PnP Sound Device: Audio (hw:2,0)"), _device(3, "pulse"),
               _device(4, "default")]
    # No default input (ALSA often says -1): the sound server's device follows the desktop.
    assert _pick_input(devices, None).name == "pulse"
    marked = [*devices[:2], _device(2, devices[2].name, default=True), *devices[3:]]
    assert _pick_input(marked, "").index == 2
    assert _pick_input(devices, "usb pnp").index == 2
    assert _pick_input(devices, 4).name == "default"
    assert _pick_input(devices, "4").name == "default"
    with pytest.raises(AudioDeviceError, match="index 1"):
        _pick_input(devices, 1)  # an output only
    with pytest.raises(AudioDeviceError, match="no input device matches 'blue yeti'"):
        _pick_input(devices, "blue yeti")
    with pytest.raises(AudioDeviceError, match="no audio input device"):
        _pick_input([_device(1, "HDMI", 0)], None)


def test_portaudio_is_reinitialised_rarely(monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-initialising PortAudio closes every stream of the process (the speaker's too), so a
    mic that keeps failing to open re-initialises it only every `reinit_every` failures; a
    first attempt does only if no input is listed. Real PortAudio; the spy only counts."""
    import sounddevice as sd

    real = sd._initialize
    calls: list[int] = []
    mic = MicSource("no such microphone 1234", reinit_every=3)

    def counting() -> None:
        calls.append(mic.failed_opens)
        real()

    monkeypatch.setattr(sd, "_initialize", counting)
    nothing_listed = not any(d["max_input_channels"] > 0 for d in sd.query_devices())
    for _ in range(7):
        with pytest.raises(AudioDeviceError):
            mic.open()
    assert mic.failed_opens == 7
    assert calls == ([0] if nothing_listed else []) + [3, 6]
