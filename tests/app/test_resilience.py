"""The session goes on when things break: a mic that vanishes and returns, dead threads.

Real parts: the Session and coach, `MicSource` on a private PulseAudio loop
(killed and restarted to unplug and replug the "mic"), the real Speaker.
Stand-ins, named as such: `SilentRecognizer` (what is recognized does not
matter when the question is whether the mic comes back) and
`CrashingRecognizer` (a fault injected on purpose: the real engines do not
crash on demand).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.pulse import pulse_loop
from voicecoach.errors import AudioDeviceError
from voicecoach.routine import load_routine
from voicecoach.shell.ears import Ears
from voicecoach.shell.session import Session
from voicecoach.speech.audio import MicSource, WavSource

SHORT = Path(__file__).resolve().parents[1] / "data" / "routines" / "e2e-short.toml"


class SilentRecognizer:
    """Stand-in: hears nothing (the tests here are about devices and threads)."""

    def __init__(self) -> None:
        self.chunks = 0

    def set_phrases(self, phrases: Any, meanings: Any = None) -> None:
        pass

    def accept(self, pcm: bytes) -> list[Any]:
        self.chunks += 1
        return []

    def flush(self) -> list[Any]:
        return []


class CrashingRecognizer(SilentRecognizer):
    """Stand-in with an injected fault: the first one raises on its 5th chunk (a native bug)."""

    crashed = False

    def accept(self, pcm: bytes) -> list[Any]:
        super().accept(pcm)
        if self.chunks == 5 and not CrashingRecognizer.crashed:
            CrashingRecognizer.crashed = True
            raise RuntimeError("injected recognizer crash")
        return []


class Statuses:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def on_status(self, kind: str, text: str) -> None:
        self.items.append((kind, text))

    def on_state(self, *args: Any) -> None:
        pass

    def on_heard(self, *args: Any) -> None:
        pass

    def on_level(self, *args: Any) -> None:
        pass


def wait_until(pred: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


@pytest.fixture
def short() -> Any:
    return load_routine(SHORT)


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    made: list[Session] = []
    yield made
    for s in made:
        s.close()


@pytest.mark.audio
@pytest.mark.timeout(60)
def test_mic_unplugged_pauses_and_its_return_resumes(short: Any, sessions: list[Session]) -> None:
    with pulse_loop() as loop:
        ears = Ears(engine_name="silent", make_recognizer=SilentRecognizer,
                    open_source=lambda: MicSource(loop.device), retry_seconds=0.5)
        session = Session(short, ears=ears)
        sessions.append(session)
        statuses = Statuses()
        session.add_listener(statuses)
        session.start()
        assert ears.ready.wait(10)
        assert not session.state.paused

        loop.stop_daemon()  # the mic is gone
        assert wait_until(lambda: session.state.paused, 10)
        assert any(kind == "mic" and "lost" in text for kind, text in statuses.items)

        loop.start_daemon()  # and back
        assert wait_until(lambda: not session.state.paused, 15)
        assert any(kind == "mic" and "back" in text for kind, text in statuses.items)
        session.close()


def test_a_mic_that_never_opens_pauses_and_keeps_retrying(short: Any,
                                                          sessions: list[Session]) -> None:
    attempts: list[float] = []

    def no_mic() -> Any:
        attempts.append(time.monotonic())
        raise AudioDeviceError("no microphone found")

    ears = Ears(engine_name="silent", make_recognizer=SilentRecognizer, open_source=no_mic,
                retry_seconds=0.05)
    session = Session(short, ears=ears)
    sessions.append(session)
    session.start()
    assert wait_until(lambda: session.state.paused and len(attempts) >= 3, 10)
    # Keys still work: the person may carry on without a mic.
    session.send_command("resume")
    session.send_command("next")
    assert session.sync()
    assert not session.state.paused and session.state.step_index == 1


def test_a_crashed_listen_thread_is_restarted(short: Any, sessions: list[Session],
                                              tmp_path: Path) -> None:
    from tests.support import clips

    wav = clips.write_wav(tmp_path / "quiet.wav", clips.pad(clips.speak("hello"), 1, 3))
    made: list[CrashingRecognizer] = []

    def make() -> CrashingRecognizer:
        made.append(CrashingRecognizer())
        return made[-1]

    ears = Ears(engine_name="crashing", make_recognizer=make,
                open_source=lambda: WavSource(wav, realtime=True, loop=True))
    session = Session(short, ears=ears)
    sessions.append(session)
    statuses = Statuses()
    session.add_listener(statuses)
    session.start()
    assert wait_until(lambda: len(made) >= 2 and made[-1].chunks > 5, 15)
    assert ears.restarts >= 1
    assert session.sync()  # the warning travels through the coach thread
    assert any(kind == "warning" and "restarted" in text for kind, text in statuses.items)


@pytest.mark.audio
@pytest.mark.timeout(60)
def test_a_dead_speaker_is_restarted_and_the_coach_goes_on(short: Any,
                                                           sessions: list[Session]) -> None:
    from voicecoach.shell.mouth import SupervisedSpeaker
    from voicecoach.voice.settings import VoiceSettings
    from voicecoach.voice.speaker import Speaker

    with pulse_loop() as loop:
        holder: dict[str, SupervisedSpeaker] = {}

        def factory(session: Session) -> SupervisedSpeaker:
            def make(on_start: Any, on_end: Any) -> Speaker:
                return Speaker(VoiceSettings(device=loop.device), on_start=on_start,
                               on_end=on_end)

            holder["s"] = SupervisedSpeaker(make, session)
            return holder["s"]

        session = Session(short, speaker_factory=factory)
        sessions.append(session)
        statuses = Statuses()
        session.add_listener(statuses)
        session.start()
        supervised = holder["s"]
        first = supervised.speaker
        # Kill the worker thread mid-cue (its loop ends as if it had crashed).
        assert wait_until(lambda: any(k == "speaking" for k, _ in statuses.items), 10)
        first._closing = True
        first._thread.join(timeout=5)
        assert not first._thread.is_alive()
        # The session notices within a second, ends the orphaned cue (the coach's
        # timers must not wait for it), and the next thing said is spoken by a new worker.
        assert wait_until(lambda: supervised.restarts == 1, 5)
        assert wait_until(lambda: session.state.phase.value == "waiting", 10)
        session.send_command("repeat")
        assert wait_until(lambda: supervised.speaker is not first, 5)
        assert wait_until(lambda: supervised.speaker.stats.started >= 1, 10)
        session.close()
