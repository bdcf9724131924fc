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
from voicecoach.speech.frontend import DENOISERS, AutoFrontEnd, FrontEnd, make_frontend
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
    with pytest.raises(ValueError, match="auto, webrtc, rnnoise"):
        make_frontend("speex")
    auto = make_frontend("auto")  # the default: WebRTC alone, whatever the room
    assert isinstance(auto, AutoFrontEnd) and not auto._can_rnnoise


def test_the_denoiser_names_match_the_config() -> None:
    from voicecoach import cli

    assert DENOISERS == config.DENOISERS == tuple(cli.DENOISERS.choices)


def _fed(fe: AutoFrontEnd, x: np.ndarray, seconds: float) -> list[str]:
    """What `fe` uses after each 0.5 s of `x`, fed in 50 ms chunks."""
    using = []
    for i in range(0, int(seconds * 16000), 800):
        fe.process(x[i : i + 800].tobytes())
        if (i + 800) % 8000 == 0:
            using.append(fe.using)
    return using


def test_auto_takes_rnnoise_for_a_fan_not_for_music_nor_mid_word() -> None:
    fan = clips.noise_only(8.0, "white", -35.0, seed=2)
    fe = make_frontend("auto")
    assert isinstance(fe, AutoFrontEnd)
    using = _fed(fe, fan, 4.0)
    # Half of its 4 s window, then two judgements in a row: about 3 s.
    assert using[:4] == ["webrtc"] * 4 and using[-1] == "rnnoise", using

    music = clips.noise_only(8.0, "music", -35.0, seed=2)
    assert set(_fed(make_frontend("auto"), music, 8.0)) == {"webrtc"}

    # Not while a word is being heard: the switch waits for the gap after it.
    held = make_frontend("auto")
    assert isinstance(held, AutoFrontEnd)
    held.hold = True
    assert set(_fed(held, fan, 4.0)) == {"webrtc"} and held.watch.steady
    held.hold = False
    assert _fed(held, fan[64000:], 0.5) == ["rnnoise"]

    # The coach's own voice is not the room: while it speaks, the room is not judged.
    deaf = make_frontend("auto")
    assert isinstance(deaf, AutoFrontEnd)
    deaf.room_audible = False
    assert set(_fed(deaf, fan, 4.0)) == {"webrtc"} and deaf.watch.last is None


def test_the_default_recognizer_hears_through_a_fan_it_has_heard_for_a_while() -> None:
    squat = load_routine("squat")
    speech = clips.pad(clips.speak("repeat", *_voice()), 4.0, 0.8)
    x = clips.mix_snr(speech, "white", 10, 3)
    rec = PocketsphinxRecognizer()  # denoiser "auto"
    rec.set_phrases(active_phrases(squat, 0))
    heard = [h.text for h in feed(rec, x.tobytes()) if h.text]
    assert rec.frontend.using == "rnnoise"
    assert [match(squat, 0, t).kind for t in heard] == ["repeat"], heard


def test_the_listener_keeps_the_coachs_voice_out_of_the_room_judgement() -> None:
    from voicecoach.speech.gate import Listener, MicGate

    gate = MicGate(clock=lambda: 0.0)
    rec = PocketsphinxRecognizer()
    rec.set_phrases(["next"])
    listener = Listener(rec, gate)
    gate.speaking_started(0.0, "Stand with your feet hip width apart.")
    fan = clips.noise_only(4.0, "white", -35.0, seed=2)
    for i in range(0, fan.size, 800):
        listener.feed(fan[i : i + 800].tobytes(), (i + 800) / 16000)
    assert rec.frontend.watch.last is None  # all of it was the coach's turn
    gate.speaking_ended(4.0)
    for i in range(0, fan.size, 800):
        listener.feed(fan[i : i + 800].tobytes(), 5.0 + (i + 800) / 16000)
    assert rec.frontend.watch.last is not None and rec.frontend.using == "rnnoise"


def test_auto_stays_with_webrtc_when_rnnoise_will_not_load(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import voicecoach.speech.frontend as frontend

    broken = tmp_path / "librnnoise.so"
    broken.write_text("not a library")  # a broken wheel: dlopen fails for real
    monkeypatch.setattr(frontend, "_rnnoise_library", lambda: broken)
    fe = make_frontend("auto")
    assert isinstance(fe, AutoFrontEnd)
    fan = clips.noise_only(5.0, "white", -35.0, seed=2)
    assert set(_fed(fe, fan, 5.0)) == {"webrtc"} and fe.watch.steady and not fe._can_rnnoise


def test_auto_counts_its_switches_and_its_time_on_rnnoise() -> None:
    fe = make_frontend("auto")
    assert isinstance(fe, AutoFrontEnd)
    fan = clips.noise_only(4.0, "white", -35.0, seed=2)
    assert _fed(fe, fan, 4.0)[-1] == "rnnoise" and fe.switches == 1
    assert 1.0 <= fe.rnnoise_s <= 2.0  # from the switch (2.45 s in, measured) to the end
    quiet = np.zeros(32000, np.int16)  # the fan stops: a quiet room is not steady
    assert _fed(fe, quiet, 2.0)[-1] == "webrtc" and fe.switches == 2
    on = fe.rnnoise_s
    _fed(fe, quiet, 1.0)
    assert fe.rnnoise_s == on and fe.switches == 2
