"""The real app in a real terminal: tmux runs it, send-keys types, capture-pane reads.

Runs `tests/tui/tmux_app.py` (make_app + a real keys-only Session) on a
private tmux server (`-L`), so it never touches anyone's tmux. Every wait is
bounded; the server is killed whatever happens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WAIT = 15.0
"""Seconds to wait for any one thing on screen (start-up on a busy 2-core box is slow)."""

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True,
                              text=True, timeout=10, check=check)

    def screen(self) -> str:
        result = self.run("capture-pane", "-p", "-t", "app", check=False)
        return result.stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "app", *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "app", "-l", text)

    def alive(self) -> bool:
        return self.run("has-session", "-t", "app", check=False).returncode == 0

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + WAIT
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear within {WAIT}s; screen:\n{screen}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    server = Tmux(tmp_path / "tmux.sock")
    yield server
    server.run("kill-server", check=False)


def test_real_app_in_tmux(tmux: Tmux, tmp_path: Path) -> None:
    rc_file = tmp_path / "rc"
    env = {k: os.environ[k] for k in os.environ if k.startswith("XDG_")}
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    command = (f"cd {REPO} && env {exports} TEXTUAL_COLOR_SYSTEM=standard "
               f"{sys.executable} -m tests.tui.tmux_app squat; echo $? > {rc_file}")
    tmux.run("new-session", "-d", "-s", "app", "-x", "100", "-y", "30", command)

    # Each on its own: a capture can catch the terminal half-way through a repaint.
    tmux.wait_for("Warm up")
    tmux.wait_for("engine: text")
    tmux.wait_for("you can say:")

    # Over SSH with 16 colours (TEXTUAL_COLOR_SYSTEM=standard): no 256-colour or
    # truecolor escapes reach the terminal.
    styled = tmux.run("capture-pane", "-e", "-p", "-t", "app").stdout
    assert "\x1b[" in styled
    assert "38;5;" not in styled and "38;2;" not in styled
    assert "48;5;" not in styled and "48;2;" not in styled

    tmux.keys("n")
    tmux.wait_for("Roll your heels in")

    tmux.keys("?")
    tmux.wait_for("Phrases you can say")
    tmux.keys("Escape")
    tmux.wait_for("Roll your heels in")

    tmux.keys(":")
    tmux.wait_for("Type a phrase")
    tmux.type("my knees go in")
    tmux.keys("Enter")
    tmux.wait_for('heard: "my knees go in"')
    tmux.wait_for("accepted")

    tmux.keys("q")
    tmux.wait_for("Quit the session?")
    tmux.keys("n")
    tmux.wait_for("Roll your heels in")

    # Ctrl-S reaches the app (raw mode: no XON/XOFF flow control) and stops the session.
    tmux.keys("C-s")
    tmux.wait_for("SESSION STOPPED")
    tmux.keys("q")
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and not rc_file.exists():
        time.sleep(0.1)
    assert rc_file.read_text().strip() == "0"
