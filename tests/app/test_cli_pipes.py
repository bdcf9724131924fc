"""A command whose reader goes away (`voicecoach voices | head`) ends quietly with exit 0."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng lists the voices")
def test_voices_into_a_closed_pipe_exits_0_quietly() -> None:
    """Issue 13: it exited 1 (click's answer to EPIPE). The reader is gone before the
    first line is written, so the closed pipe is certain, not a race with `head`."""
    proc = subprocess.Popen([sys.executable, "-m", "voicecoach", "voices"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    code = proc.wait(timeout=60)
    err = proc.stderr.read()
    proc.stderr.close()
    assert code == 0, err
    assert "Error" not in err and "Traceback" not in err
