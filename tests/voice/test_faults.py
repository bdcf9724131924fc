"""Faults never stop the session: a warning line, every Say still ends, the device is retried."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.pulse import PulseLoop, pulse_loop
from tests.voice.conftest import SpeakerFactory, wait_until
from voicecoach.coach.effects import Priority, Say
from voicecoach.voice.audio import Clip
from voicecoach.voice.engine import EspeakEngine

CUE = "Sit back and down."


def test_missing_device_warns_and_still_ends(make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker(device="no-such-speaker-xyz")
    speaker.say(Say(1, CUE, Priority.CUE, awaited=True))
    assert events.wait_end(1, timeout=3) [1] is False
    assert 1 not in events.starts()
    assert events.wait_for(lambda log: any(e[0] == "warning" for e in log))
    [warning] = events.warnings()
    assert "no sound output" in warning and "\n" not in warning
    # the same fault is reported once, not on every retry
    speaker.say(Say(2, CUE, Priority.CUE, awaited=True))
    assert events.wait_end(2, timeout=3)[1] is False
    assert len(events.warnings()) == 1
    assert speaker._thread.is_alive()


@pytest.mark.audio
def test_no_sound_server(audio_loop: PulseLoop, make_speaker: SpeakerFactory,
                         monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/no-such-server")
    speaker, events = make_speaker()
    speaker.say(Say(1, CUE, Priority.CUE, awaited=True))
    assert events.wait_end(1, timeout=5)[1] is False
    assert any("no sound output" in w for w in events.warnings())


@pytest.mark.audio
def test_espeak_missing(audio_loop: PulseLoop, make_speaker: SpeakerFactory,
                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    speaker, events = make_speaker()
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    speaker.say(Say(1, CUE, Priority.CUE, awaited=True))
    assert events.wait_end(1)[1] is False
    assert events.warnings() == [
        "text-to-speech unavailable: espeak-ng not found (apt-get install espeak-ng)"]
    monkeypatch.undo()  # installed again: speech comes back without a restart
    speaker.say(Say(2, CUE, Priority.CUE, awaited=True))
    assert events.wait_end(2)[1] is True
    assert speaker.faults == []


@pytest.mark.audio
def test_device_disappears_and_comes_back(make_speaker: SpeakerFactory) -> None:
    with pulse_loop() as loop:
        speaker, events = make_speaker(retry_seconds=0.3)
        speaker.say(Say(1, "Keep your heels down and your chest up all the way.",
                        Priority.CUE, awaited=True))
        events.wait_start(1)
        loop.stop_daemon()
        assert events.wait_end(1)[1] is False
        assert events.wait_for(lambda log: any("sound output lost" in str(e) for e in log))
        speaker.say(Say(2, CUE, Priority.CUE, awaited=True))  # while it is gone
        assert events.wait_end(2)[1] is False
        loop.start_daemon()
        assert events.wait_for(lambda log: any(e[0] == "recovered" for e in log), timeout=10)
        with loop.record() as rec:
            speaker.say(Say(3, CUE, Priority.CUE, awaited=True))
            assert events.wait_end(3)[1] is True
            assert rec.wait_until(events.ends()[3][0] + 0.1)
        assert rec.sound_spans(), "speech came back into the loop"
        assert speaker.stats.device_failures == 1


class _CrashingEngine(EspeakEngine):
    """Fault injection: espeak-ng cannot be made to raise a bug on demand, so this one does."""

    def render(self, text: str, voice: str, rate: int) -> Clip:
        if text == "crash":
            raise RuntimeError("engine bug")
        return super().render(text, voice, rate)


@pytest.mark.audio
def test_engine_bug_does_not_kill_the_worker(audio_loop: PulseLoop,
                                             make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker(engine=_CrashingEngine())
    speaker.say(Say(1, "crash", Priority.CUE, awaited=True))
    assert events.wait_end(1)[1] is False
    assert any("engine bug" in w for w in events.warnings())
    time.sleep(0.1)
    speaker.say(Say(2, CUE, Priority.CUE, awaited=True))
    assert events.wait_end(2)[1] is True


@pytest.mark.audio
def test_callback_errors_are_contained(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()

    def bad_start(_id: int, _t: float) -> None:
        raise ValueError("UI bug")

    speaker.on_start = bad_start
    speaker.say(Say(1, "Up.", Priority.CUE, awaited=True))
    assert events.wait_end(1)[1] is True
    assert speaker._thread.is_alive()


def test_muted_ends_at_once_without_warnings(make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker(muted=True)
    speaker.say(Say(1, CUE, Priority.CUE, awaited=True))
    assert events.wait_end(1, timeout=2)[1] is False
    assert events.warnings() == []


@pytest.mark.audio
def test_close_ends_pending_says(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    speaker.say(Say(1, "Keep your heels down and your chest up all the way.", Priority.CUE,
                    awaited=True))
    speaker.say(Say(2, CUE, Priority.CUE, awaited=True))
    events.wait_start(1)
    speaker.close()
    assert events.wait_end(1)[1] is False and events.wait_end(2)[1] is False
    assert wait_until(lambda: not speaker._thread.is_alive(), timeout=3)
