"""What the session screen shows for a given coach state and shell report.

States are real `CoachState`s of the real squat routine, pushed through the
listener exactly as the shell does (from another thread where it matters).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

from tests.tui.conftest import TIMEOUT, screen_text, settle, wait_for
from tests.tui.fakes import StaticSession, squat_state
from voicecoach.coach.state import LastHeard, Phase
from voicecoach.tui import make_app
from voicecoach.tui.listen_state import ListenState
from voicecoach.tui.messages import MicLevel, StateChanged
from voicecoach.tui.mic_meter import MicMeter, meter_text
from voicecoach.tui.phrase_hint import hint_phrases
from voicecoach.tui.tempo import tempo_text
from voicecoach.tui.wrapup_screen import WrapUpScreen, summary_lines


def test_tempo_follows_the_rep_phase() -> None:
    assert tempo_text(squat_state(rep_phase="down"))[1] == "down"
    assert tempo_text(squat_state(rep_phase="up"))[0].startswith("▲ UP")
    assert tempo_text(squat_state(phase=Phase.WAITING, rep_phase=None)) == ("", "none")
    held = squat_state(phase=Phase.HOLDING, rep_phase=None, timer_total=30.0, timer_elapsed=12.0)
    assert tempo_text(held) == ("HOLD  18s", "hold")


def test_slower_tempo_shows_scaled_seconds() -> None:
    assert "3s" in tempo_text(squat_state(rep_phase="down", tempo_scale=1.5))[0]


def test_mic_meter_scale() -> None:
    assert meter_text(None).endswith("·" * 12)
    assert meter_text(-120.0) == "mic " + "·" * 12
    assert meter_text(0.0) == "mic " + "█" * 12
    assert meter_text(-30.0) == "mic " + "█" * 6 + "·" * 6


def test_hint_lists_this_steps_corrections_and_what_fits_the_phase() -> None:
    counting = hint_phrases(squat_state())
    assert counting[:2] == ["my heels are lifting", "i'm tipping backwards"]
    assert "pause" in counting and "resume" not in counting and "skip rest" not in counting
    assert "that hurts" not in counting  # global corrections: in the help screen
    assert "resume" in hint_phrases(squat_state(paused=True))
    assert "skip rest" in hint_phrases(squat_state(phase=Phase.RESTING))


def test_high_frequency_messages_replace_each_other() -> None:
    state = squat_state()
    assert MicLevel(-10.0).can_replace(MicLevel(-20.0))
    assert StateChanged(state).can_replace(StateChanged(state))
    assert not MicLevel(-10.0).can_replace(StateChanged(state))


async def test_rest_bar_shows_only_while_resting(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#rest-bar")
        assert not bar.display
        static_session.push(squat_state(phase=Phase.RESTING, rep_phase=None,
                                        timer_total=60.0, timer_elapsed=18.0))
        await settle(pilot)
        assert bar.display
        assert "42s" in screen_text(app, "#rest-seconds")
        assert app.screen.query_one("#rest-progress").progress == 42.0
        assert not app.screen.query_one("#tempo").display


async def test_updates_from_the_shell_thread_reach_the_screen(
        static_session: StaticSession) -> None:
    """Listener calls come from another thread; they must arrive as messages."""
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)

        def shell() -> None:
            static_session.emit("on_status", "speaking", "Three.")
            static_session.emit("on_heard", "my heels are up", 0.42, "rejected", None)
            for level in (-50.0, -40.0, -6.0):
                static_session.emit("on_level", level)
            static_session.push(replace(static_session.state, rep=4, rep_phase="up"))
            static_session.emit("on_status", "warning", "speaker: device unplugged")

        thread = threading.Thread(target=shell)
        thread.start()
        await asyncio.wait_for(asyncio.to_thread(thread.join, TIMEOUT), TIMEOUT + 1)
        await wait_for(pilot, lambda: "unplugged" in screen_text(app, "#warning"), "warning")
        screen = app.screen
        assert screen.query_one("#listen-state", ListenState).kind == "speaking"
        assert screen.query_one("#heard").has_class("-rejected")
        assert "not understood" in screen_text(app, "#heard")
        assert screen.query_one("#mic-meter", MicMeter).level == -6.0
        assert "4" in screen_text(app, "#reps")
        assert "UP" in screen_text(app, "#tempo")
        assert screen.query_one("#warning").display


async def test_heard_line_outcomes(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for outcome, mark in (("accepted", "✓"), ("ignored", "ignored"),
                              ("rejected", "not understood"),
                              ("after-talk", "too soon after other talk")):
            heard = LastHeard("skip rest", 0.9, outcome, "skip_rest")
            static_session.push(replace(static_session.state, last_heard=heard))
            await settle(pilot)
            assert mark in screen_text(app, "#heard")
            assert "90%" in screen_text(app, "#heard")
            assert app.screen.query_one("#heard").has_class(f"-{outcome}")


async def test_listening_state_labels(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)

        def kind() -> str:
            return app.screen.query_one("#listen-state", ListenState).kind
        static_session.emit("on_status", "listening", "")
        await settle(pilot)
        assert kind() == "listening"
        static_session.push(replace(static_session.state, paused=True))
        await settle(pilot)
        assert kind() == "paused"


async def test_keys_only_session_says_so() -> None:
    session = StaticSession(squat_state(), engine="text")
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        session.emit("on_status", "listening", "")
        await settle(pilot)
        assert "KEYS ONLY" in screen_text(app, "#listen-state")


async def test_finishing_shows_the_wrap_up_once(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # heels lifting, answered in two steps: one thing asked about, three times
        done = squat_state(phase=Phase.DONE, step_index=5,
                           correction_counts={"steps[1].corrections[0]": 2,
                                              "steps[4].corrections[0]": 1})
        static_session.push(done)
        static_session.push(replace(done, now=101.0))
        await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen), "the wrap-up")
        await settle(pilot)
        assert sum(isinstance(s, WrapUpScreen) for s in app.screen_stack) == 1
        text = screen_text(app, "#wrapup-summary")
        assert "3x  my heels are lifting" in text and text.count("heels") == 1
        assert "SESSION DONE" in screen_text(app, "#wrapup-title")


def test_summary_lines_without_corrections() -> None:
    lines = summary_lines(squat_state(phase=Phase.STOPPED))
    assert lines[0].endswith("stopped")
    assert "time: 1:00" in lines
    assert lines[-1] == "no corrections asked for"


async def test_start_is_called_once_when_idle() -> None:
    session = StaticSession(squat_state(phase=Phase.IDLE))
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert session.started == 1
        assert len(session.listeners) == 1


async def test_a_tall_terminal_gets_the_roomy_layout(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.has_class("-tall")
    app = make_app(StaticSession(squat_state()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.has_class("-short")
