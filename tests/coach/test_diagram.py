"""The committed state diagram is the one the engine draws today (h11's habit: it cannot drift)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_docs_state_diagram_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "coach_diagram.py"), "--check"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr


def test_every_phase_is_reached_and_pause_always_comes_back() -> None:
    from voicecoach.coach.state import Phase

    text = (REPO / "docs" / "coach-states.md").read_text(encoding="utf-8")
    for phase in Phase:
        if phase is not Phase.IDLE:
            assert f" {phase.value}" in text, phase
    for phase in ("announcing", "counting", "holding", "resting", "waiting"):
        assert f"{phase}_paused --> {phase}: \"resume\"" in text
        assert f"{phase} --> stopped" in text
