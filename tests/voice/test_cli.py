"""`voicecoach say` and `voicecoach voices`, as a person runs them (a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.support.pulse import PulseLoop


def voicecoach(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voicecoach", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})


def test_say_out_writes_a_valid_wav(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "cue.wav"
    result = voicecoach("say", "Chest up.", "--out", str(out), "--rate", "140", "--voice", "en-gb")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out}")
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert 0.3 < w.getnframes() / w.getframerate() < 3


def test_rendered_speech_is_cached_where_voicecoach_cache_dir_says(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = voicecoach("say", "Knees out.", "--out", str(tmp_path / "k.wav"),
                        env={"VOICECOACH_CACHE_DIR": str(cache)})
    assert result.returncode == 0, result.stderr
    assert any((cache / "tts").glob("*.wav"))


def test_voices_lists_english() -> None:
    result = voicecoach("voices")
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"en-us", "en-gb"} <= set(names)
    assert "voices from espeak-ng" in result.stderr


@pytest.mark.parametrize(("args", "code", "message"), [
    (["say", "hi", "--voice", "xx-nonexistent"], 2, "unknown voice"),
    (["say", "   "], 2, "nothing to say"),
    (["say", "hi", "--speaker", "no-such-speaker-xyz"], 1, "output device"),
    (["say", "hi", "--rate", "5"], 2, "5"),
], ids=["bad-voice", "empty-text", "bad-speaker", "bad-rate"])
def test_say_errors_are_one_line(args: list[str], code: int, message: str) -> None:
    result = voicecoach(*args)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_say_without_espeak(tmp_path: Path) -> None:
    result = voicecoach("say", "hello", "--out", str(tmp_path / "x.wav"),
                        env={"PATH": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: text-to-speech unavailable: espeak-ng not found (apt-get install espeak-ng)")


@pytest.mark.audio
def test_say_plays_into_the_loop(audio_loop: PulseLoop) -> None:
    with audio_loop.record() as rec:
        t0 = time.monotonic()
        result = voicecoach("say", "Squat.", "--speaker", "pulse")
        assert result.returncode == 0, result.stderr
        assert rec.wait_until(time.monotonic() + 0.1)
    assert rec.first_sound_after(t0) is not None


def test_voices_without_the_program_uses_the_library(tmp_path: Path) -> None:
    """pyttsx3 loads libespeak-ng itself, so voices can be listed without the espeak-ng program."""
    result = voicecoach("voices", env={"PATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "en-us" in [line.split()[0] for line in result.stdout.splitlines()]
    assert "pyttsx3" in result.stderr


def test_say_volume_scales_the_output(tmp_path: Path) -> None:
    """--volume is a playback gain: a quarter volume peaks at a quarter of full."""
    peaks = []
    for volume in ("1", "0.25"):
        out = tmp_path / f"v{volume}.wav"
        result = voicecoach("say", "Chest up.", "--out", str(out), "--volume", volume)
        assert result.returncode == 0, result.stderr
        with wave.open(str(out)) as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        peaks.append(int(np.abs(pcm.astype(np.int32)).max()))
    assert abs(peaks[1] / peaks[0] - 0.25) < 0.01
