"""The coach talking to itself: every text of a routine through the real Speaker into the loop,
with the real recognizer and gate listening. Shared by the test and the benchmark.

What is real: `voicecoach.voice.Speaker` (espeak-ng, the output stream), the
mic stream on the loop's monitor, the recognizer, the gate (`voicecoach.shell.ears` with
`voicecoach.speech.gate`).
What stands in for the session is `Collector`, which only records what the
ears would hand to the coach: no coach runs, because this measures what the
ears let through, not what the coach would do with it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from voicecoach.coach.effects import Priority, Say
from voicecoach.coach.intents import all_phrases
from voicecoach.routine.models import Routine


@dataclass
class Collector:
    """The session side of `Ears`: keeps what it is told."""

    heard: list[tuple[str, float, bool]] = field(default_factory=list)
    statuses: list[tuple[str, str]] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def hear(self, text: str, confidence: float, *, source: str = "voice",
             accepted: bool = True, at: float | None = None, reason: str = "",
             in_talk: bool = False) -> None:
        self.heard.append((text, confidence, accepted))

    def mic_lost(self, text: str = "") -> None:
        self.statuses.append(("mic", text))

    def mic_back(self, text: str = "") -> None:
        self.statuses.append(("mic", text))

    def report(self, kind: str, text: str) -> None:
        self.statuses.append((kind, text))
        if kind == "ready":
            self.ready.set()

    def record(self, kind: str, **data: Any) -> None:
        pass

    def level(self, dbfs: float) -> None:
        pass

    @property
    def accepted(self) -> list[tuple[str, float, bool]]:
        return [h for h in self.heard if h[2]]


def speak_all(routine: Routine, texts: list[str], engine: str = "pocketsphinx",
              device: str = "pulse", gap: float = 0.3, classifier: str = "off") -> Collector:
    """Say each text through the Speaker while the ears listen with every phrase of `routine`
    (`classifier`: as `make_recognizer`'s; "wait" learns the routine first)."""
    from voicecoach import speech
    from voicecoach.shell.ears import Ears
    from voicecoach.speech.audio import MicSource
    from voicecoach.voice.settings import VoiceSettings
    from voicecoach.voice.speaker import Speaker

    collector = Collector()
    recognizer = speech.make_recognizer(engine, routine, None, classifier=classifier)
    ears = Ears(engine_name=engine, make_recognizer=lambda: recognizer,
                open_source=lambda: MicSource(device))
    # The widest grammar: every phrase of every step at once (the hardest case).
    ears.set_phrases(all_phrases(routine))
    done = threading.Event()
    last_end = {"id": 0}

    def on_end(say_id: int, t: float, completed: bool) -> None:
        ears.speaking_ended(t)
        if say_id == last_end["id"]:
            done.set()

    texts_by_id = {n: text for n, text in enumerate(texts, start=1)}
    speaker = Speaker(VoiceSettings(device=device),
                      on_start=lambda i, t: ears.speaking_started(t, texts_by_id.get(i, "")),
                      on_end=on_end)
    try:
        ears.start(collector)  # type: ignore[arg-type]
        if not collector.ready.wait(10):
            raise AssertionError(f"the ears never got ready: {collector.statuses}")
        for n, text in enumerate(texts, start=1):
            done.clear()
            last_end["id"] = n
            speaker.say(Say(n, text, priority=Priority.CUE, rate=routine.settings.rate))
            if not done.wait(60):
                raise AssertionError(f"the speaker never finished {text!r}")
            time.sleep(gap)
        time.sleep(1.0)  # the tail of the last text reaches the recognizer
        # A listen thread that died would have heard nothing: zero would be a lie.
        if ears.crashes or ears.restarts:
            raise AssertionError(f"the listen thread crashed: {ears.crashes}")
    finally:
        ears.close()
        speaker.close()
    return collector
