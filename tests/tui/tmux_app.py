"""The real app for the tmux test: `make_app` with a real keys-only `Session`.

No mic, a silent speaker, the real clock: exactly what `voicecoach run
--keyboard --mute` wires, minus the CLI, so the tmux test depends only on the
TUI and the session shell. Run: `python -m tests.tui.tmux_app [routine] [theme]`.
"""

from __future__ import annotations

import sys

from voicecoach.routine import load_routine
from voicecoach.shell.session import Session
from voicecoach.tui import make_app


def main() -> int:
    routine = load_routine(sys.argv[1] if len(sys.argv) > 1 else "squat")
    theme = sys.argv[2] if len(sys.argv) > 2 else "contrast"
    session = Session(routine)
    app = make_app(session, theme=theme, session_factory=Session)
    try:
        app.run()
    finally:
        session.close()
    return int(app.return_code or 0)


if __name__ == "__main__":
    sys.exit(main())
