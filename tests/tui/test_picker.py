"""The routine picker: real routine files (built-in and the user's), real checks, a real editor."""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from tests.tui.conftest import screen_text, settle, wait_for
from tests.tui.fakes import StaticSession, squat_state
from voicecoach.errors import AudioDeviceError
from voicecoach.routine.catalog import user_dir
from voicecoach.tui import make_app
from voicecoach.tui.help_screen import HelpScreen
from voicecoach.tui.history_screen import HistoryScreen
from voicecoach.tui.picker_screen import PickerScreen
from voicecoach.tui.session_screen import SessionScreen

BROKEN = """\
format = 1
[routine]
name = "Broken"
[[steps]]
id = "one"
title = "One"
cue = "Do one thing."
reps = 0
"""

FIXED = BROKEN.replace("reps = 0", "reps = 3")


def write_user_routine(name: str, text: str) -> Path:
    folder = user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def editor_script(tmp_path: Path, new_text: str) -> str:
    """A real program used as $EDITOR: it rewrites the file it is given."""
    script = tmp_path / "fake_editor.py"
    script.write_text(
        "import sys, pathlib\n"
        f"pathlib.Path(sys.argv[1]).write_text({new_text!r}, encoding='utf-8')\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return f"{sys.executable} {script}"


async def open_picker(app: Any, pilot: Any, rows: int = 2) -> PickerScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "the picker")
    await wait_for(pilot, lambda: len(app.screen.rows) >= rows, "routines listed")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, PickerScreen)
    return screen


async def test_lists_built_in_routines_with_description_and_length() -> None:
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await open_picker(app, pilot)
        names = [row.entry.name for row in picker.rows]
        assert {"squat", "mobility"} <= set(names)
        table = screen_text(app, "#routines")
        assert "Squat: feet first" in table
        assert "steps" in table and "min" in table
        picker.query_one("#routines", DataTable).move_cursor(row=names.index("squat"))
        await settle(pilot)
        assert "Heels in, pelvis forward" in screen_text(app, "#routine-about")


async def test_a_broken_user_routine_shows_its_problems_inline() -> None:
    write_user_routine("broken", BROKEN)
    app = make_app(None, routine_name="broken")
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await open_picker(app, pilot, rows=3)
        assert picker.current is not None and picker.current.entry.name == "broken"
        problems = screen_text(app, "#routine-problems")
        assert "steps[0].reps" in problems
        assert "problem" in screen_text(app, "#routines")
        await pilot.press("enter")  # cannot start: the problems stay, no session
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)


async def test_e_edits_in_editor_and_rechecks_on_return(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    write_user_routine("broken", BROKEN)
    monkeypatch.setenv("EDITOR", editor_script(tmp_path, FIXED))
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(None, routine_name="broken")
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await open_picker(app, pilot, rows=3)
        assert picker.current is not None and picker.current.problems
        await pilot.press("e")
        await wait_for(pilot, lambda: picker.current is not None
                       and picker.current.entry.name == "broken"
                       and not picker.current.problems, "the re-check")
        assert not picker.query_one("#routine-problems").display


async def test_e_on_a_built_in_edits_a_user_copy(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", editor_script(tmp_path, BROKEN))
    app = make_app(None, routine_name="squat")
    async with app.run_test(size=(80, 24)) as pilot:
        picker = await open_picker(app, pilot)
        assert picker.current is not None and picker.current.entry.source == "built-in"
        await pilot.press("e")
        await wait_for(pilot, lambda: picker.current is not None
                       and picker.current.entry.source == "user", "the user copy")
        assert (user_dir() / "squat.toml").read_text(encoding="utf-8") == BROKEN
        assert "steps[0].reps" in screen_text(app, "#routine-problems")


async def test_enter_builds_the_session_with_the_factory() -> None:
    received: list[Any] = []

    def factory(routine: Any) -> StaticSession:
        received.append(routine)
        return StaticSession(squat_state())

    app = make_app(None, routine_name="squat", session_factory=factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_picker(app, pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen), "the session")
        assert [r.name for r in received] == ["Squat: feet first"]


async def test_a_factory_error_is_shown_in_the_picker() -> None:
    def factory(routine: Any) -> StaticSession:
        raise AudioDeviceError("no microphone found")

    app = make_app(None, session_factory=factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_picker(app, pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "no microphone" in screen_text(app, "#routine-problems"),
                       "the error")
        assert isinstance(app.screen, PickerScreen)


async def test_picker_keys_help_history_and_quit() -> None:
    app = make_app(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_picker(app, pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert "start the highlighted routine" in screen_text(app, ".help-table")
        await pilot.press("escape", "h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        from tests.tui.conftest import press_and_go

        press_and_go(app, "q")
        await wait_for(pilot, lambda: app.return_code is not None, "the app to exit")
