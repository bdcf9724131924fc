"""Tones and the small audio helpers (pure numpy: no loop needed)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from voicecoach.voice.audio import Clip, parse_wav, read_wav, resample, trim_silence, wav_bytes
from voicecoach.voice.tones import TONES, tone, tone_kinds

RATE = 22050


def _pitch(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[int(np.argmax(spectrum))])


def test_kinds() -> None:
    assert set(tone_kinds()) == {"rep", "rest_end", "listening"}


@pytest.mark.parametrize("kind", list(TONES))
def test_tone_is_short_faded_and_bounded(kind: str) -> None:
    samples = tone(kind, RATE)
    assert samples.dtype == np.float32
    assert 0.05 < samples.size / RATE < 0.5
    assert np.abs(samples).max() <= 0.5
    # fades: no click at either end
    assert abs(samples[0]) < 1e-3 and abs(samples[-1]) < 1e-3
    assert np.abs(np.diff(samples)).max() < 0.2


def test_tones_have_distinct_pitches() -> None:
    pitches = {kind: _pitch(tone(kind, RATE)[: int(0.06 * RATE)], RATE) for kind in TONES}
    assert pitches["rep"] == pytest.approx(880, abs=20)
    assert pitches["listening"] == pytest.approx(1320, abs=20)
    assert pitches["rest_end"] == pytest.approx(660, abs=20)
    assert len({round(p, -1) for p in pitches.values()}) == 3


def test_volume_scales() -> None:
    full = np.abs(tone("rep", RATE)).max()
    assert np.abs(tone("rep", RATE, 0.5)).max() == pytest.approx(full / 2, rel=1e-3)


def test_unknown_tone() -> None:
    with pytest.raises(KeyError):
        tone("gong", RATE)


@pytest.mark.parametrize(("src", "dst"), [(22050, 48000), (22050, 44100), (48000, 16000)])
def test_resample_keeps_pitch_and_length(src: int, dst: int) -> None:
    t = np.arange(src) / src
    sine = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out = resample(sine, src, dst)
    assert out.size == dst
    assert _pitch(out, dst) == pytest.approx(440, abs=2)
    assert np.abs(out).max() == pytest.approx(0.5, abs=0.02)


def test_resample_does_not_wrap_the_end_of_a_clip_round_to_its_start() -> None:
    """A burst at the very end stays there (the old whole-clip FFT put it at -38 dBFS
    into the first 50 ms)."""
    x = np.zeros(22050, np.float32)
    x[-200:] = 0.8 * np.sin(np.arange(200) * 0.3)
    out = resample(x, 22050, 48000)
    assert np.abs(out[:2400]).max() < 1e-4
    assert np.abs(out[-600:]).max() > 0.5


def test_parse_espeak_stdout_stream() -> None:
    """espeak-ng --stdout writes placeholder sizes in the header; we read the real bytes."""
    raw = subprocess.run(["espeak-ng", "--stdout", "hello"], capture_output=True, check=True).stdout
    clip = parse_wav(raw)
    assert clip.rate == 22050
    assert 0.2 < clip.seconds < 2
    assert np.abs(clip.samples).max() > 0.1


def test_wav_round_trip_and_trim() -> None:
    samples = np.concatenate([np.zeros(1000), 0.5 * np.ones(500), np.zeros(2000)])
    samples = samples.astype(np.float32)
    clip = parse_wav(wav_bytes(Clip(samples, 16000)))
    assert clip.rate == 16000 and clip.samples.size == samples.size
    trimmed = trim_silence(clip, pad=0.0)
    assert trimmed.samples.size == 500
    assert trim_silence(Clip(np.zeros(100, np.float32), 16000)).samples.size == 0


def test_parse_rejects_non_wav() -> None:
    with pytest.raises(ValueError):
        parse_wav(b"not a wav file at all")


@pytest.mark.parametrize(("bits", "channels"), [(8, 1), (16, 2), (24, 1), (32, 2)])
def test_any_wav_reads_as_the_same_mono_clip(tmp_path, bits: int, channels: int) -> None:
    """One reader (voicecoach.wavfile) for ears and mouth: every width, stereo down-mixed,
    and sox's WAVE_FORMAT_EXTENSIBLE files (24/32-bit), which the 16-bit-only parser refused."""
    src = tmp_path / "src.wav"
    src.write_bytes(wav_bytes(Clip((0.5 * np.sin(np.arange(8000) / 8)).astype(np.float32), 16000)))
    path = tmp_path / f"{bits}-{channels}.wav"
    subprocess.run(["sox", str(src), "-b", str(bits), "-c", str(channels), str(path)], check=True)
    clip = read_wav(path)
    assert clip.rate == 16000 and clip.samples.dtype == np.float32
    assert clip.samples.shape == (8000,)
    step = 2.0 ** (1 - min(bits, 16))  # 8-bit: sox quantises (and dithers) to 1/128
    assert np.abs(clip.samples - parse_wav(src.read_bytes()).samples).max() < 3 * step


def test_read_wav_says_missing_apart_from_junk(tmp_path) -> None:
    """The cache tells a missing file (quietly re-render) from a broken one (drop it)."""
    with pytest.raises(FileNotFoundError):
        read_wav(tmp_path / "gone.wav")
    (tmp_path / "junk.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(ValueError):
        read_wav(tmp_path / "junk.wav")
