"""Voice-area fixtures: the shared audio loop and speakers that record their callbacks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.pulse import audio_loop  # noqa: F401  (the session loop fixture)
from voicecoach.voice import Speaker, VoiceSettings

WAIT = 10.0
"""Seconds: the bound on every wait in these tests."""


@dataclass
class Events:
    """Everything a speaker reported, in order, with a condition to wait on."""

    log: list[tuple] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def add(self, *event: object) -> None:
        with self.cond:
            self.log.append(event)
            self.cond.notify_all()

    def wait_for(self, pred: Callable[[list[tuple]], bool], timeout: float = WAIT) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: pred(self.log), timeout)

    def starts(self) -> dict[int, float]:
        return {e[1]: e[2] for e in self.log if e[0] == "start"}

    def ends(self) -> dict[int, tuple[float, bool]]:
        return {e[1]: (e[2], e[3]) for e in self.log if e[0] == "end"}

    def warnings(self) -> list[str]:
        return [e[1] for e in self.log if e[0] == "warning"]

    def wait_end(self, say_id: int, timeout: float = WAIT) -> tuple[float, bool]:
        assert self.wait_for(lambda log: any(e[0] == "end" and e[1] == say_id for e in log),
                             timeout), f"no on_end for say {say_id}: {self.log}"
        return self.ends()[say_id]

    def wait_start(self, say_id: int, timeout: float = WAIT) -> float:
        assert self.wait_for(lambda log: any(e[0] == "start" and e[1] == say_id for e in log),
                             timeout), f"no on_start for say {say_id}: {self.log}"
        return self.starts()[say_id]

    def order(self) -> list[tuple[str, int]]:
        return [(e[0], e[1]) for e in self.log if e[0] in ("start", "end")]


SpeakerFactory = Callable[..., tuple[Speaker, Events]]


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "tts"


@pytest.fixture
def make_speaker(cache_dir: Path) -> Iterator[SpeakerFactory]:
    """Build speakers whose callbacks land in an `Events`; all are closed at teardown."""
    made: list[Speaker] = []

    def make(**overrides: object) -> tuple[Speaker, Events]:
        events = Events()
        kwargs = {k: overrides.pop(k) for k in ("engine", "cache", "port_factory")
                  if k in overrides}
        settings = VoiceSettings(**{"device": "pulse", "cache_dir": cache_dir, **overrides})
        speaker = Speaker(
            settings,
            on_start=lambda i, t: events.add("start", i, t),
            on_end=lambda i, t, c: events.add("end", i, t, c),
            on_warning=lambda text: events.add("warning", text),
            on_recovered=lambda text: events.add("recovered", text),
            **kwargs,
        )
        made.append(speaker)
        return speaker, events

    yield make
    for speaker in made:
        speaker.close()


def wait_until(pred: Callable[[], bool], timeout: float = WAIT, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()
