"""`voicecoach simulate ROUTINE [--script FILE] [--summary]`: the coach with simulated time.

The work is in `voicecoach.coach.simulate` (pure: script text in, records
out); this module only reads the files and writes stdout: JSON lines, or
with `--summary` a table for someone editing a routine (how long each step
takes and what it says). Every error is a `VoicecoachError` (one line on
stderr, exit 2), raised before any output.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

from voicecoach.coach.simulate import RunSummary
from voicecoach.errors import UsageError

MAX_SCRIPT_BYTES = 1_000_000
"""A script is typed by hand; anything bigger is a mistake (a WAV, a log)."""


def main(routine: str, script: Path | None, *, summary: bool = False,
         max_seconds: float | None = None) -> int:
    from voicecoach.coach.simulate import MAX_SECONDS, parse_script, run_script, summarize
    from voicecoach.routine import load_routine

    loaded = load_routine(routine)
    lines = parse_script(_read_script(script), name=str(script)) if script is not None else []
    limit = MAX_SECONDS if max_seconds is None else max_seconds
    records = run_script(loaded, lines, max_seconds=limit, answer_next=summary)
    out = sys.stdout
    if summary:
        out.write(render_summary(summarize(list(records)), limit))
    else:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def clock(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour): how long, at a glance."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


_ENDINGS = {
    "done": "the routine ends",
    "stop": "the session was stopped",
    "waiting": "it waits for \"resume\"",
    "limit": "the time limit (--max-seconds {limit:g}) was reached",
}


def render_summary(summary: RunSummary, limit: float) -> str:
    """The table: one block a step (starts, lasts, what it says), then the total."""
    width = max(60, min(110, shutil.get_terminal_size((100, 24)).columns))
    id_width = max([len("step"), *(len(s.id) for s in summary.steps)])
    head = f"{'step':<{id_width}}  {'starts':>7}  {'lasts':>7}  "
    wrap = max(30, width - len(head))
    rows = [f"{summary.routine}: simulated, \"next\" said as soon as a step waits for it", "",
            head + "what it says", "-" * min(width, len(head) + wrap)]
    for step in summary.steps:
        lines = list(step.says)
        if step.counts:
            lines.append(f"(counts {step.counts} reps)")
        texts = [part for text in lines or ["(nothing)"]
                 for part in textwrap.wrap(text, wrap, subsequent_indent="  ")]
        lead = f"{step.id:<{id_width}}  {clock(step.start):>7}  {clock(step.seconds):>7}  "
        rows.append(lead + texts[0])
        rows += [" " * len(head) + line for line in texts[1:]]
    ending = _ENDINGS.get(summary.ending, summary.ending).format(limit=limit)
    count = len(summary.steps)
    rows += ["", f"total {clock(summary.total)} ({count} step{'s' * (count != 1)}); "
                 f"then {ending}."]
    return "\n".join(rows) + "\n"


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
