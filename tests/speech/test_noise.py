"""The room's noise, as the automatic denoiser judges it (speech/noise.py).

Synthetic noises (the tests' own white, pink and music-like mixes): they are what the
rule was measured on, and its docstring says so.
"""

from __future__ import annotations

import numpy as np

from tests.support import clips
from voicecoach.speech.noise import room_noise


def test_a_fan_is_steady_music_and_a_quiet_room_are_not() -> None:
    for kind in ("white", "pink"):
        assert room_noise(clips.noise_only(3.0, kind, -35.0, seed=4)).steady, kind
    music = room_noise(clips.noise_only(3.0, "music", -35.0, seed=4))
    assert not music.steady and music.tonality_db > 3  # notes, not a smooth hiss
    hiss = room_noise(clips.noise_only(3.0, "white", -60.0, seed=4))
    assert not hiss.steady and hiss.floor_db < -50  # a quiet room: nothing to take away


def test_a_word_in_the_fans_noise_does_not_change_the_answer() -> None:
    voice = ("flite:slt", 0) if clips.have_flite() else ("en-us", 150)
    speech = clips.pad(clips.speak("my heels are lifting", *voice), 1.0, 1.0)
    assert room_noise(clips.mix_snr(speech, "white", 10, 5)).steady
    assert not room_noise(speech).steady  # digital silence and a voice: no room noise
    assert not room_noise(np.zeros(0, np.int16)).steady
