"""Choosing the output: by index or name substring, at a rate the device takes."""

from __future__ import annotations

import time

import pytest
import sounddevice as sd

from tests.support.pulse import PulseLoop
from tests.voice.conftest import SpeakerFactory
from voicecoach.coach.effects import Priority, Say
from voicecoach.errors import AudioDeviceError
from voicecoach.voice.output import output_devices, resolve_device

pytestmark = pytest.mark.audio


def _pulse_index() -> int:
    return next(i for i, name, _rate in output_devices() if name == "pulse")


def test_resolve_by_index_name_and_substring(audio_loop: PulseLoop) -> None:
    index = _pulse_index()
    assert resolve_device(index) == index
    assert resolve_device(str(index)) == index
    assert resolve_device("pulse") == index
    assert resolve_device("PULS") == index
    assert isinstance(resolve_device(None), int)


@pytest.mark.parametrize("spec", ["no-such-speaker-xyz", 999])
def test_unknown_device_is_one_clear_line(audio_loop: PulseLoop, spec: str | int) -> None:
    with pytest.raises(AudioDeviceError) as err:
        resolve_device(spec)
    assert "voicecoach devices" in err.value.message


def test_speaks_by_index_at_a_resampled_rate(audio_loop: PulseLoop,
                                             make_speaker: SpeakerFactory) -> None:
    """48 kHz output: espeak-ng's 22.05 kHz speech is resampled by us, and still on time."""
    speaker, events = make_speaker(device=_pulse_index(), sample_rate=48000)
    with audio_loop.record() as rec:
        speaker.say(Say(1, "Breathe in.", Priority.CUE, awaited=True))
        t_end, completed = events.wait_end(1)
        assert rec.wait_until(t_end + 0.2)
    assert completed
    assert speaker._port is not None and speaker._port.rate == 48000
    spans = rec.sound_spans(min_gap=0.4)
    assert len(spans) == 1
    assert abs(spans[0][0] - events.starts()[1]) < 0.25
    assert abs(spans[0][1] - t_end) < 0.25


def test_default_device_reaches_the_loop(audio_loop: PulseLoop,
                                         make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker(device=None)
    with audio_loop.record() as rec:
        t0 = time.monotonic()
        speaker.say(Say(1, "Up.", Priority.CUE, awaited=True))
        t_end, completed = events.wait_end(1)
        assert rec.wait_until(t_end + 0.2)
    assert completed and rec.first_sound_after(t0) is not None
    assert sd.query_devices(speaker._port.device)["name"] in ("default", "pulse")  # type: ignore[union-attr]
