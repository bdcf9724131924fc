"""Phrases -> engine grammars. Pure: no engine imports, easy to test and to read.

Words are `spoken_words` (lower case, apostrophes kept: dictionaries spell
"i'm"), and the grammar's alternatives are the phrases exactly, so the words an
engine returns map back to one phrase through `phrase_key`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

from voicecoach.routine.phrases import spoken_words

_SAFE = re.compile(r"^[a-z0-9'\-]+$")


def phrase_words(phrases: Iterable[str]) -> list[tuple[str, ...]]:
    """Each phrase's words, without empty or repeated phrases, in order."""
    seen: dict[tuple[str, ...], None] = {}
    for p in phrases:
        words = spoken_words(p)
        if words:
            seen.setdefault(words, None)
    return list(seen)


def jsgf(
    phrases: Sequence[str],
    garbage: Sequence[str] = (),
    garbage_weight: float = 1e-3,
    name: str = "commands",
    loop: bool = False,
) -> str:
    """A JSGF grammar: any one phrase, or (if `garbage`) one garbage word (a run with `loop`).

    The garbage branch is a rejection path: a common word that explains the sound
    better than any command (see garbage.py). A loop of them made pocketsphinx's FSG
    search 20-40x slower, so the default is one word.
    """
    alts = " | ".join(" ".join(w) for w in phrase_words(phrases) if all(_SAFE.match(x) for x in w))
    if not alts:
        alts = "<VOID>"
    lines = ["#JSGF V1.0;", f"grammar {name};"]
    if garbage:
        lines.append(f"public <utterance> = /1/ <command> | /{garbage_weight:g}/ <garbage>;")
        lines.append(f"<command> = {alts};")
        lines.append(f"<garbage> = ({' | '.join(garbage)}){'+' if loop else ''};")
    else:
        lines.append(f"public <utterance> = {alts};")
    return "\n".join(lines) + "\n"


def vosk_grammar(phrases: Sequence[str]) -> str:
    """Vosk's grammar: a JSON list of phrases plus "[unk]", which soaks up everything else."""
    return json.dumps([" ".join(w) for w in phrase_words(phrases)] + ["[unk]"])
