"""Child processes that get Ctrl+C as from a terminal."""

from __future__ import annotations

import signal


def ctrl_c_as_in_a_terminal() -> None:
    """`preexec_fn` for a child that a test sends SIGINT: a shell starts a background job
    with SIGINT ignored and a child inherits that, so Python would raise no
    KeyboardInterrupt and the test would time out (as when the suite itself runs in the
    background). A user's terminal delivers it, and so do these tests."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
