"""History: read from the real SQLite session log (written here through its own API)."""

from __future__ import annotations

from tests.tui.conftest import screen_text, settle, wait_for
from tests.tui.fakes import StaticSession, squat_state
from voicecoach.routine import load_routine
from voicecoach.session_log import SessionLog
from voicecoach.tui import make_app
from voicecoach.tui.history_screen import HistoryScreen
from voicecoach.tui.wrapup_screen import WrapUpScreen


def record_a_session() -> None:
    routine = load_routine("squat")
    with SessionLog.open() as log:
        recorder = log.start_session(routine, "pocketsphinx")
        for t in (10.0, 20.0):
            recorder.record({"t": t, "kind": "correction", "path": "steps[1].corrections[0]",
                             "phrase": "my knees go in", "form": "full", "then": "continue",
                             "safety": False})
        recorder.end("stop", steps_done=2, sets_done=1)


async def test_no_sessions_yet() -> None:
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), "history")
        await wait_for(pilot, lambda: "no sessions yet" in screen_text(app, "#history-empty"),
                       "the empty message")


async def test_past_sessions_and_top_corrections() -> None:
    record_a_session()
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await wait_for(pilot, lambda: "Squat" in screen_text(app, "#history-sessions"),
                       "the session row")
        rows = screen_text(app, "#history-sessions")
        assert "stop" in rows
        top = screen_text(app, "#history-top")
        assert "2x" in top and "my knees go in" in top


async def test_history_from_the_wrap_up() -> None:
    from voicecoach.coach.state import Phase

    session = StaticSession(squat_state())
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        session.push(squat_state(phase=Phase.STOPPED))
        await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen), "the wrap-up")
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), "history")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WrapUpScreen)
