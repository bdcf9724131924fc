"""`voicecoach simulate ROUTINE --script FILE`: the coach with simulated time, JSON lines out.

The work is in `voicecoach.coach.simulate` (pure: script text in, records
out); this module only reads the files and writes stdout. Every error is a
`VoicecoachError` (one line on stderr, exit 2), raised before any output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from voicecoach.errors import UsageError

MAX_SCRIPT_BYTES = 1_000_000
"""A script is typed by hand; anything bigger is a mistake (a WAV, a log)."""


def main(routine: str, script: Path) -> int:
    from voicecoach.coach.simulate import parse_script, run_script
    from voicecoach.routine import load_routine

    loaded = load_routine(routine)
    lines = parse_script(_read_script(script), name=str(script))
    out = sys.stdout
    for record in run_script(loaded, lines):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def _read_script(path: Path) -> str:
    try:
        if path.is_dir():
            raise UsageError(f"{path}: is a directory, not a script")
        if path.stat().st_size > MAX_SCRIPT_BYTES:
            raise UsageError(f"{path}: too big for a script (over {MAX_SCRIPT_BYTES} bytes)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such script file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not a UTF-8 text file (byte {exc.start})") from None
