"""Every key does what its binding says: the session receives the same command a phrase would.

These use `StaticSession` (a recording fake, see fakes.py) so the check is the
UI's own contract, key -> command, independent of what the coach then does.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.tui.conftest import press_and_go, screen_text, settle, wait_for
from tests.tui.fakes import StaticSession, squat_state
from voicecoach.tui import make_app
from voicecoach.tui.confirm_screen import ConfirmScreen
from voicecoach.tui.help_screen import HelpScreen
from voicecoach.tui.listen_state import ListenState
from voicecoach.tui.say_screen import SayScreen
from voicecoach.tui.session_screen import SessionScreen
from voicecoach.tui.themes import CONTRAST, LIGHT

COMMAND_KEYS = [
    ("space", "next"),
    ("n", "next"),
    ("b", "back"),
    ("r", "repeat"),
    ("w", "why"),
    ("s", "status"),
    ("h", "help"),
    ("plus", "faster"),
    ("equals_sign", "faster"),
    ("minus", "slower"),
    ("k", "skip_rest"),
    ("x", "stop"),
    ("ctrl+s", "stop"),
]


@pytest.mark.parametrize(("key", "command"), COMMAND_KEYS, ids=[k for k, _ in COMMAND_KEYS])
async def test_command_key_sends_its_command(key: str, command: str,
                                             static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        await pilot.press(key)
        await settle(pilot)
        assert static_session.received == [("command", command, "key")]


async def test_every_key_in_one_run(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*(key for key, _ in COMMAND_KEYS))
        await settle(pilot)
        assert static_session.commands == [command for _, command in COMMAND_KEYS]


async def test_p_toggles_between_pause_and_resume(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        static_session.push(replace(static_session.state, paused=True))
        await settle(pilot)
        assert app.screen.query_one("#listen-state", ListenState).kind == "paused"
        await pilot.press("p")
        await settle(pilot)
        assert static_session.commands == ["pause", "resume"]


@pytest.mark.parametrize("opener", ["colon", "slash"])
async def test_typed_phrase_goes_to_send_text(opener: str,
                                              static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(opener)
        await settle(pilot)
        assert isinstance(app.screen, SayScreen)
        # Letters that are also keys (n, b, p, q, ...) must type, not act.
        await pilot.press(*"my heels are lifting", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        assert static_session.received == [("text", "my heels are lifting", "text")]


async def test_escape_cancels_the_typed_phrase(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("colon", "n", "o", "escape")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        assert static_session.received == []


async def test_question_mark_shows_every_key_and_phrase(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app, ".help-table")
        for phrase in ("skip the rest", "say again", "my knees are caving in", "that hurts"):
            assert phrase in text
        for cap in ("space / n", "Ctrl-S", "+ / =", ": or /"):
            assert cap in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        assert static_session.received == []


async def test_q_asks_first_and_no_keeps_the_session(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        assert static_session.closed == 0
        await pilot.press("q", "escape")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)


async def test_q_then_yes_closes_the_session_and_exits(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        press_and_go(app, "y")
        await wait_for(pilot, lambda: app.return_code is not None, "the app to exit")
    assert static_session.closed == 1
    assert app.return_code == 0
    assert static_session.commands == []  # quitting is not the coach's "stop"


async def test_ctrl_q_quits_at_once_and_closes(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        press_and_go(app, "ctrl+q")
        await wait_for(pilot, lambda: app.return_code is not None, "the app to exit")
    assert static_session.closed == 1


async def test_t_toggles_the_theme(static_session: StaticSession) -> None:
    app = make_app(static_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == CONTRAST
        await pilot.press("t")
        assert app.theme == LIGHT
        await pilot.press("t")
        assert app.theme == CONTRAST


async def test_light_theme_from_the_factory() -> None:
    app = make_app(StaticSession(squat_state()), theme="light")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == LIGHT


def test_unknown_theme_is_a_usage_error() -> None:
    from voicecoach.errors import UsageError

    with pytest.raises(UsageError, match="contrast, light"):
        make_app(None, theme="neon")
