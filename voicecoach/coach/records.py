"""Effects as JSON-lines records: the stable format of `simulate`, `--event-log` and session logs.

One mapping, used by every writer, so a simulated session and a real one
read the same. Each record is a flat dict with `t` (seconds on the session
clock, rounded to milliseconds) and `kind`:

- `say`: `text`, `id`, `say_kind` (`cue`, `count`, `rest`, `correction`,
  `safety`, `why`, `help`, `status`, `ack`, `info`, `repeat`, `summary`),
  `priority` (`count`, `info`, `cue`, `correction`, `safety`), `awaited`.
- `beep`: `beep` (`rep`, `rest_end`). `hush`: no fields.
- every `Log` effect: its kind and its data as they are: `start`, `step`
  (`id`, `index`, `title`, `set`, `sets`, `rep`), `set`, `set_done`, `rest`,
  `heard` (`text`, `intent`, `phrase`, `confidence`, `source`, `outcome`),
  `correction`, `pause`, `resume`, `pace`, `stop`, `done`.

`Show` (a screen refresh) and `Finish` (the `stop`/`done` records already say
it) have no record. Fields may be added; none will be renamed or removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from voicecoach.coach.effects import Beep, Effect, Hush, Log, Say


def effect_records(effects: Iterable[Effect], now: float) -> list[dict[str, Any]]:
    """The records for effects produced at `now` (the state's clock after the step)."""
    t = round(now, 3)
    out: list[dict[str, Any]] = []
    for effect in effects:
        match effect:
            case Say():
                out.append({"t": t, "kind": "say", "text": effect.text, "id": effect.id,
                            "say_kind": effect.kind, "priority": effect.priority.name.lower(),
                            "awaited": effect.awaited})
            case Beep():
                out.append({"t": t, "kind": "beep", "beep": effect.kind})
            case Hush():
                out.append({"t": t, "kind": "hush"})
            case Log():
                out.append({"t": t, "kind": effect.kind, **dict(effect.data)})
            case _:
                pass
    return out
