"""Snapshots of the main screens at 80x24 and 120x40 (pytest-textual-snapshot).

Deterministic by construction: every session here is `StaticSession` (the
fake in fakes.py) holding one fixed `CoachState`; no clock, no thread. Update
with `pytest tests/tui/test_snapshots.py --snapshot-update`, after looking at
the report.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import screen_text, settle, wait_for
from tests.tui.fakes import StaticSession, squat_state
from voicecoach.coach.state import LastHeard, Phase
from voicecoach.tui import make_app
from voicecoach.tui.history_screen import HistoryScreen
from voicecoach.tui.picker_screen import PickerScreen
from voicecoach.tui.wrapup_screen import WrapUpScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def counting_session() -> StaticSession:
    return StaticSession(squat_state())


async def listening(pilot: Pilot[Any]) -> None:
    session = pilot.app.session  # type: ignore[attr-defined]
    session.emit("on_status", "listening", "")
    session.emit("on_level", -24.0)
    await settle(pilot)


class TestSession:
    @pytest.mark.parametrize("size", SIZES)
    def test_counting(self, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(make_app(counting_session()), terminal_size=size,
                            run_before=listening)

    def test_resting_with_a_rejected_utterance(self, snap_compare: Any) -> None:
        state = squat_state(phase=Phase.RESTING, rep=5, rep_phase=None, timer_total=60.0,
                            timer_elapsed=18.0, last_said="Rest for a minute.",
                            last_heard=LastHeard("purple monkey", 0.31, "rejected"))

        async def run_before(pilot: Pilot[Any]) -> None:
            await listening(pilot)
            session = pilot.app.session  # type: ignore[attr-defined]
            session.emit("on_status", "warning", "speaker: no output device")
            await settle(pilot)

        assert snap_compare(make_app(StaticSession(state)), run_before=run_before)

    def test_paused_light_theme(self, snap_compare: Any) -> None:
        session = StaticSession(squat_state(paused=True))
        assert snap_compare(make_app(session, theme="light"), run_before=listening)


class TestHelp:
    @pytest.mark.parametrize("size", SIZES)
    def test_help(self, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(make_app(counting_session()), terminal_size=size,
                            press=["question_mark"])


class TestPicker:
    @pytest.mark.parametrize("size", SIZES)
    def test_picker(self, snap_compare: Any, size: tuple[int, int]) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            app = pilot.app
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen)
                           and len(app.screen.rows) >= 2, "routines listed")
            await settle(pilot)

        assert snap_compare(make_app(None, routine_name="squat"), terminal_size=size,
                            run_before=run_before)


class TestHistory:
    @pytest.mark.parametrize("size", SIZES)
    def test_no_sessions_yet(self, snap_compare: Any, size: tuple[int, int]) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            app = pilot.app
            await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "the picker")
            await pilot.press("h")
            await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen)
                           and "no sessions" in screen_text(app, "#history-empty"), "history")
            await settle(pilot)

        assert snap_compare(make_app(None), terminal_size=size, run_before=run_before)


class TestFinished:
    @pytest.mark.parametrize("size", SIZES)
    def test_wrap_up(self, snap_compare: Any, size: tuple[int, int]) -> None:
        session = counting_session()

        async def run_before(pilot: Pilot[Any]) -> None:
            session.push(squat_state(phase=Phase.DONE, step_index=5, now=460.0, sets_done=9,
                                     correction_counts={"steps[1].corrections[0]": 3,
                                                        "corrections[0]": 1}))
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, WrapUpScreen),
                           "the wrap-up")
            await settle(pilot)

        assert snap_compare(make_app(session), terminal_size=size, run_before=run_before)
