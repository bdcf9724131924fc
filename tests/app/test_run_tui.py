"""`voicecoach run` with the TUI, in a real terminal (tmux): keys drive it, SIGTERM ends it cleanly.

Keyboard only and muted, so no device is needed. "The terminal is restored"
is checked the way a person sees it: after the app exits, the shell's next
line is on a normal screen (not the app's alternate screen) and the exit
status is printed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHORT = REPO / "tests" / "data" / "routines" / "e2e-short.toml"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=10).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "t")

    def wait_for(self, pred: Callable[[str], bool], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if pred(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"screen never matched; last:\n{self.screen()}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(f"vc-{uuid.uuid4().hex[:8]}")
    yield t
    t("kill-server")


def _launch(tmux: Tmux, pid_file: Path, *args: str) -> None:
    """Start `voicecoach run ARGS` in the tmux session "t"; it writes its pid to `pid_file`."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in os.environ.items()
                   if k.startswith("XDG_") or k == "TERM")
    command = (f"cd {shlex.quote(str(REPO))} && {env} {shlex.quote(sys.executable)} -c "
               f"{shlex.quote(_LAUNCH)} {shlex.quote(str(pid_file))} "
               + " ".join(shlex.quote(a) for a in args))
    tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "30",
         f"bash -c {shlex.quote(command + '; echo EXIT=$?; sleep 30')}")


def test_tui_session_keys_and_sigterm(tmux: Tmux, tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    pid_file = tmp_path / "pid"
    _launch(tmux, pid_file, str(SHORT), "--keyboard", "--mute", "--event-log", str(log))
    tmux.wait_for(lambda s: "Stand tall" in s)
    tmux("send-keys", "-t", "t", "n")
    tmux.wait_for(lambda s: "Two small dips" in s)

    pid = int(pid_file.read_text())
    os.kill(pid, signal.SIGTERM)
    screen = tmux.wait_for(lambda s: "EXIT=" in s)
    assert "EXIT=0" in screen
    assert "Two small dips" not in screen  # the app's screen is gone: the terminal is back
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[-1]["kind"] == "session_end" and records[-1]["reason"] == "interrupted"
    assert any(r["kind"] == "heard" and r["text"] == "next" for r in records)


# Runs `voicecoach run` after writing its pid, so the test signals exactly that process.
_LAUNCH = """
import os, sys
open(sys.argv[1], "w").write(str(os.getpid()))
sys.argv = ["voicecoach", "run", *sys.argv[2:]]
from voicecoach.cli import main
main()
"""


def test_pick_opens_the_picker_then_runs_the_chosen_routine(tmux: Tmux, tmp_path: Path) -> None:
    """`run --pick`: nothing opens until a routine is chosen; Enter starts the highlighted one."""
    log = tmp_path / "events.jsonl"
    pid_file = tmp_path / "pid"
    _launch(tmux, pid_file, "squat", "--pick", "--keyboard", "--mute", "--event-log", str(log))
    tmux.wait_for(lambda s: "Pick a routine" in s and "Squat: feet first" in s)
    tmux("send-keys", "-t", "t", "Enter")
    tmux.wait_for(lambda s: "Warm up" in s and "step 1 of 6" in s)
    os.kill(int(pid_file.read_text()), signal.SIGTERM)
    assert "EXIT=0" in tmux.wait_for(lambda s: "EXIT=" in s)
