"""Fixtures for the TUI tests: sessions (a recording fake and the real shell), bounded waits."""

from __future__ import annotations

import asyncio
import inspect
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text
from textual import events
from textual.app import App
from textual.content import Content
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Digits, Static

from tests.support.clock import ManualClock
from tests.tui.fakes import StaticSession, squat_state
from voicecoach.routine import Routine, load_routine

#: Every await in these tests is bounded by this (seconds).
TIMEOUT = 5.0


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests in a fresh event loop (no pytest-asyncio needed).

    Textual's `run_test` only needs a running loop; each test gets its own.
    """
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    asyncio.run(pyfuncitem.obj(**kwargs))
    return True


@pytest.fixture
def static_session() -> StaticSession:
    return StaticSession(squat_state())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def real_session(clock: ManualClock) -> Iterator[Callable[..., object]]:
    """Build real `voicecoach.shell.session.Session`s (keys only, silent speaker, manual clock)."""
    from voicecoach.shell.session import Session

    made: list[Session] = []

    def make(routine: str | Routine = "squat") -> Session:
        if isinstance(routine, str):
            routine = load_routine(routine)
        session = Session(routine, clock=clock, tick_seconds=0.01)
        made.append(session)
        return session

    yield make
    for session in made:
        session.close()


def widget_text(widget: Widget) -> str:
    """What a widget shows, as plain text (from its content, not from paint timing)."""
    if isinstance(widget, Digits):
        return widget.value
    if isinstance(widget, DataTable):
        rows = (widget.get_row_at(i) for i in range(widget.row_count))
        return "\n".join("  ".join(str(cell) for cell in row) for row in rows)
    if isinstance(widget, Static):
        content = widget.content
        if isinstance(content, str | Text | Content):
            text = str(content)
            return text if text else str(widget.render())
        console = Console(width=200, file=io.StringIO(), record=True)
        console.print(content)
        return console.export_text()
    return "\n".join(widget_text(child) for child in widget.children if child.display)


def screen_text(app: App[Any], selector: str = "*") -> str:
    """The text of every matching, displayed widget on the current screen."""
    return "\n".join(widget_text(w) for w in app.screen.query(selector) if w.display)


async def settle(pilot: Pilot[Any], session: object | None = None) -> None:
    """Let the coach thread handle everything queued, then let the app render it."""
    sync = getattr(session, "sync", None)
    if callable(sync):
        assert await asyncio.wait_for(asyncio.to_thread(sync, TIMEOUT), TIMEOUT + 1)
    await asyncio.wait_for(pilot.pause(), TIMEOUT)
    await asyncio.wait_for(pilot.pause(), TIMEOUT)


def press_and_go(app: App[Any], key: str) -> None:
    """Send a key without waiting for the screen to settle.

    For keys that end the app from a worker thread (quit closes the session
    off the UI thread, then exits): `pilot.press` would wait for a screen
    that stops processing messages mid-wait.
    """
    app.post_message(events.Key(key, key if len(key) == 1 else None))


async def wait_for(pilot: Pilot[Any], predicate: Callable[[], bool],
                   what: str = "condition") -> None:
    """Poll (bounded) until `predicate()` holds; sleeps, so it is safe while the app exits."""
    async def loop() -> None:
        while not predicate():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(loop(), TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None
