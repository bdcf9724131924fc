"""The enrollment screen (Textual, App.run_test) over the real PulseAudio loop.

The screen shows the phrase to say and take n of N while a real speaker's takes
are played into the loop; Ctrl-C stops it and keeps what was recorded.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.enroll.test_enroll import ENROLL
from tests.enroll.test_live_enroll import _files, _person, data_dir  # noqa: F401 (fixture)
from tests.support.pulse import PulseLoop, audio_loop  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.audio,
    pytest.mark.timeout(180),
    pytest.mark.skipif(not (ENROLL / "manifest.jsonl").is_file(),
                       reason=f"{ENROLL} is absent (the shared real-speech corpus)"),
]


def test_screen_shows_the_phrase_and_ctrl_c_keeps_the_takes(
        audio_loop: PulseLoop, data_dir: Path) -> None:  # noqa: F811
    from voicecoach.commands.enroll import LiveEnrollment, Prompt
    from voicecoach.commands.enroll_tui import EnrollApp
    from voicecoach.speech.audio import MicSource

    on_listen, threads = _person(audio_loop, _files())
    prompts = [Prompt(w, 2, f"Say: {w}") for w in ("yes", "no")]
    session = LiveEnrollment("ann", prompts, MicSource(audio_loop.device),
                             speak=lambda text: None, show=print, on_listen=on_listen)
    app = EnrollApp(session, finish=lambda: ["fitted"], title="Enrolling ann")
    seen: list[str] = []

    async def drive() -> None:
        async with app.run_test() as pilot:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(session.store.rows()) < 2:
                seen.append(str(app.query_one("#prompt").render()))
                await pilot.pause(0.2)
            await pilot.press("ctrl+c")
            while app.is_running and time.monotonic() < deadline:
                await pilot.pause(0.2)

    asyncio.run(drive())
    for t in threads:
        t.join(5)
    assert any("Say: yes   (1 of 2)" in s for s in seen), seen[-5:]
    assert app.return_code == 130, (app.lines, session.stop.is_set())
    kept = session.store.rows()
    assert 2 <= len(kept) < 4 and [r["text"] for r in kept][:2] == ["yes", "yes"]
    assert "takes kept" in app.lines[-1]
