"""The front end (WebRTC noise suppression) on a music-mixed clip and a quiet clip; RNNoise
(the `rnnoise` denoiser) on a clip in a fan's steady noise.

Real audio through the real recognizer: the front end must take the music down
without taking the command with it, and must leave a quiet speaker alone (no gate
that would swallow a soft voice).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tests.speech.conftest import feed
from tests.support import clips
from voicecoach import config
from voicecoach.coach.intents import active_phrases, match
from voicecoach.errors import EngineUnavailableError
from voicecoach.routine import load_routine
from voicecoach.speech.frontend import DENOISERS, FrontEnd, make_frontend
from voicecoach.speech.sphinx import PocketsphinxRecognizer


def _voice() -> tuple[str, int]:
    return ("flite:slt", 0) if clips.have_flite() else ("en-us", 150)


def _level_db(x: np.ndarray) -> float:
    return 20 * np.log10(clips.rms(x) / 32768 + 1e-12)


def test_music_is_taken_down_and_the_command_is_still_heard() -> None:
    fe = FrontEnd()
    if not fe.active:
        pytest.skip("webrtc-noise-gain has no wheel for this platform")
    music = clips.noise_only(3.0, "music", -30.0, seed=3)
    out = np.frombuffer(fe.process(music.tobytes()), "<i2")
    # Past its first second (it learns the noise), the music is well down.
    assert _level_db(out[16000:]) < _level_db(music[16000 : out.size]) - 6

    squat = load_routine("squat")
    x = clips.mix_snr(clips.pad(clips.speak("next step", *_voice()), 1.5, 0.8), "music", 10, 7)
    heard = {}
    for ns in (0, 2):
        rec = PocketsphinxRecognizer(noise_suppression=ns)
        rec.set_phrases(active_phrases(squat, 0))
        heard[ns] = [h.text for h in feed(rec, x.tobytes()) if h.text]
    assert [match(squat, 0, t).kind for t in heard[2]] == ["next"], heard


def test_a_quiet_speaker_is_not_suppressed() -> None:
    fe = FrontEnd()
    if not fe.active:
        pytest.skip("webrtc-noise-gain has no wheel for this platform")
    speech = clips.pad(clips.speak("repeat", *_voice()), 0.4, 0.8).astype(np.float64)
    quiet = (speech * 10 ** (-18 / 20)).astype(np.int16)  # about -40 dBFS: a far, soft voice
    out = np.frombuffer(fe.process(quiet.tobytes()) + fe.flush(), "<i2")
    loud = np.abs(quiet) > np.abs(quiet).max() * 0.1
    assert abs(_level_db(out[loud[: out.size]]) - _level_db(quiet[loud])) < 3

    squat = load_routine("squat")
    rec = PocketsphinxRecognizer()
    rec.set_phrases(active_phrases(squat, 0))
    heard = [h.text for h in feed(rec, quiet.tobytes()) if h.text]
    assert [match(squat, 0, t).kind for t in heard] == ["repeat"], heard


def test_without_the_wheel_audio_passes_through() -> None:
    fe = FrontEnd(noise_suppression=0)
    assert not fe.active and fe.process(b"\x01\x00" * 7) == b"\x01\x00" * 7


def test_rnnoise_takes_a_fans_noise_down_and_the_command_is_heard() -> None:
    fe = make_frontend("rnnoise")
    fan = clips.noise_only(2.0, "white", -30.0, seed=1)
    out = np.frombuffer(
        b"".join(fe.process(fan[i : i + 800].tobytes()) for i in range(0, fan.size, 800))
        + fe.flush(), "<i2")
    assert out.size == fan.size  # the resamplers give back every sample, in step
    assert _level_db(out[8000:]) < _level_db(fan[8000:]) - 20

    # "repeat" in 10 dB white noise: WebRTC's suppression leaves it unheard ("fifty").
    squat = load_routine("squat")
    x = clips.mix_snr(clips.pad(clips.speak("repeat", *_voice()), 1.5, 0.8), "white", 10, 3)
    rec = PocketsphinxRecognizer(denoiser="rnnoise")
    rec.set_phrases(active_phrases(squat, 0))
    heard = [h.text for h in feed(rec, x.tobytes()) if h.text]
    assert [match(squat, 0, t).kind for t in heard] == ["repeat"], heard
    rec.new_stream()
    assert rec.frontend.denoiser == "rnnoise"  # a new stream keeps the user's choice


def test_rnnoise_missing_is_one_line_naming_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    # The wheel is installed here; its absence (a platform without one) is simulated.
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyrnnoise" else real(name, *a))
    with pytest.raises(EngineUnavailableError, match="pip install --no-deps pyrnnoise"):
        make_frontend("rnnoise")
    with pytest.raises(ValueError, match="webrtc, rnnoise"):
        make_frontend("speex")


def test_the_denoiser_names_match_the_config() -> None:
    assert DENOISERS == config.DENOISERS
