"""The real session shell behind the real app: keys -> coach -> screen.

`voicecoach.shell.session.Session` runs keys-only here (no mic, silent speaker) with a
clock the test moves by hand, so what is on screen follows from the coach,
not from wall time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.tui.conftest import ManualClock, press_and_go, screen_text, settle, wait_for
from voicecoach.coach.state import Phase
from voicecoach.tui import make_app
from voicecoach.tui.listen_state import ListenState
from voicecoach.tui.picker_screen import PickerScreen
from voicecoach.tui.session_screen import SessionScreen
from voicecoach.tui.wrapup_screen import WrapUpScreen


async def test_the_app_starts_the_session_and_shows_the_first_step(
        real_session: Callable[..., Any]) -> None:
    session = real_session()
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, session)
        assert session.state.phase is Phase.ANNOUNCING
        assert "Warm up" in screen_text(app, "#step-title")
        assert "engine: text" in screen_text(app, "#engine")
        assert app.screen.query_one("#listen-state", ListenState).kind == "keys"


async def test_a_muted_session_never_shows_speaking(real_session: Callable[..., Any],
                                                    clock: ManualClock) -> None:
    """Issue 13: under --mute (the silent speaker) the status line said SPEAKING while the
    cue's virtual timeline ran, though nothing made a sound."""
    seen: list[str] = []

    class Statuses:
        def on_status(self, kind: str, text: str) -> None:
            seen.append(kind)

    session = real_session()
    session.add_listener(Statuses())
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, session)
        assert session.state.phase is Phase.ANNOUNCING  # the cue is "being said"
        assert "SPEAKING" not in screen_text(app, "#listen-state")
        clock.advance(30.0)
        await settle(pilot, session)
        assert "SPEAKING" not in screen_text(app, "#listen-state")
    assert "speaking" not in seen


async def test_q_is_logged_as_quit_and_x_as_stop(clock: ManualClock, tmp_path: Any) -> None:
    """Issue 13: `q` was logged as `interrupted`; the log says what the person did."""
    import json

    from voicecoach.routine import load_routine
    from voicecoach.shell.session import Session

    async def end_with(key: str) -> str:
        log = tmp_path / f"{key}.jsonl"
        session = Session(load_routine("squat"), clock=clock, tick_seconds=0.01, event_log=log)
        app = make_app(session)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, session)
            if key == "x":
                await pilot.press("x")
                await settle(pilot, session)
                await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen), "wrap-up")
                press_and_go(app, "q")
            else:
                await pilot.press("q")
                press_and_go(app, "y")
            await wait_for(pilot, lambda: app.return_code is not None, "the app to exit")
        session.close()
        records = [json.loads(line) for line in log.read_text().splitlines()]
        return str(records[-1]["reason"])

    ends = {key: await end_with(key) for key in ("q", "x")}
    assert ends == {"q": "quit", "x": "stop"}


async def test_next_moves_on_and_the_screen_follows(real_session: Callable[..., Any],
                                                    clock: ManualClock) -> None:
    session = real_session()
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, session)
        await pilot.press("n")
        await settle(pilot, session)
        assert session.state.step_index == 1
        await wait_for(pilot, lambda: "Roll your heels in" in screen_text(app, "#step-title"),
                       "step 2 on screen")
        # The cue ends (the silent speaker's timeline), then reps are counted.
        clock.advance(30)
        await wait_for(pilot, lambda: session.state.phase is Phase.COUNTING, "counting")
        await settle(pilot, session)
        assert "REP" in screen_text(app, "#reps")
        assert "DOWN" in screen_text(app, "#tempo")
        assert "my knees are caving in" in screen_text(app, "#phrases")


async def test_typed_correction_is_heard_and_answered(real_session: Callable[..., Any]) -> None:
    session = real_session()
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, session)
        await pilot.press("n")
        await settle(pilot, session)
        await pilot.press("colon", *"my knees go in", "enter")
        await settle(pilot, session)
        await wait_for(pilot, lambda: "accepted" in screen_text(app, "#heard"), "heard line")
        assert "my knees go in" in screen_text(app, "#heard")
        assert "correction" in screen_text(app, "#heard")


async def test_gibberish_is_shown_as_not_understood(real_session: Callable[..., Any]) -> None:
    session = real_session()
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, session)
        await pilot.press("slash", *"purple monkey", "enter")
        await settle(pilot, session)
        await wait_for(pilot, lambda: "not understood" in screen_text(app, "#heard"),
                       "rejected line")


async def test_pause_key_pauses_and_resumes(real_session: Callable[..., Any]) -> None:
    session = real_session()
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, session)
        await pilot.press("p")
        await settle(pilot, session)
        assert session.state.paused
        await wait_for(pilot, lambda: "PAUSED" in screen_text(app, "#listen-state"), "paused")
        await pilot.press("p")
        await settle(pilot, session)
        assert not session.state.paused


async def test_stop_shows_the_wrap_up_and_q_quits(real_session: Callable[..., Any]) -> None:
    session = real_session()
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, session)
        await pilot.press("x")
        await settle(pilot, session)
        assert session.state.finished
        await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen), "the wrap-up")
        assert "SESSION STOPPED" in screen_text(app, "#wrapup-title")
        press_and_go(app, "q")
        await wait_for(pilot, lambda: app.return_code is not None, "the app to exit")
    assert session.finished  # closed: Session.close() sets it


async def test_wrap_up_says_when_the_voice_was_often_missed(
        real_session: Callable[..., Any]) -> None:
    session = real_session()
    app = make_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, session)
        for _ in range(4):
            session.hear("north", 0.0, accepted=False, reason="garbage")
        await pilot.press("x")
        await settle(pilot, session)
        await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen), "the wrap-up")
        assert "heard you 0 of 4 times" in screen_text(app, "#wrapup-hearing")


async def test_wrap_up_enter_goes_back_to_the_picker(real_session: Callable[..., Any]) -> None:
    first = real_session()
    made: list[Any] = []

    def factory(routine: Any) -> Any:
        made.append(real_session(routine))
        return made[-1]

    app = make_app(first, session_factory=factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, first)
        await pilot.press("x")
        await settle(pilot, first)
        await wait_for(pilot, lambda: isinstance(app.screen, WrapUpScreen), "the wrap-up")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "the picker")
        await wait_for(pilot, lambda: len(getattr(app.screen, "rows", ())) >= 2, "routines listed")
        await wait_for(pilot, lambda: first.finished, "the first session closed")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen), "a new session")
        assert len(made) == 1
        second = made[0]
        await settle(pilot, second)
        assert second.state.phase is not Phase.IDLE
        assert app.session is second
