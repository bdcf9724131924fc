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


def jsgf(phrases: Sequence[str], garbage: Sequence[str] = (), garbage_weight: float = 1e-3,
         name: str = "commands") -> str:
    """A JSGF grammar: any one phrase, or (if `garbage`) any run of garbage words.

    The garbage branch is the rejection path: ordinary talk is explained better
    by a loop of common words than by forcing it onto a command, and a
    hypothesis that comes out of that branch is rejected. The branch weight
    trades false accepts against commands lost to the loop.
    """
    alts = " | ".join(" ".join(w) for w in phrase_words(phrases) if all(_SAFE.match(x) for x in w))
    if not alts:
        alts = "<VOID>"
    lines = ["#JSGF V1.0;", f"grammar {name};"]
    if garbage:
        lines.append(f"public <utterance> = /1/ <command> | /{garbage_weight:g}/ <garbage>;")
        lines.append(f"<command> = {alts};")
        lines.append(f"<garbage> = ({' | '.join(garbage)})+;")
    else:
        lines.append(f"public <utterance> = {alts};")
    return "\n".join(lines) + "\n"


def vosk_grammar(phrases: Sequence[str]) -> str:
    """Vosk's grammar: a JSON list of phrases plus "[unk]", which soaks up everything else."""
    return json.dumps([" ".join(w) for w in phrase_words(phrases)] + ["[unk]"])


# Common English words for the garbage loop: what people say in a gym that is
# not a command. Short function words matter most (they make up most of
# ordinary talk). Words of the active phrases are removed at build time so the
# loop can never spell a command.
COMMON_WORDS: tuple[str, ...] = tuple("""
a about after all also always am an and any are as ask at be because been before being best better
big bit but buy by call came can come could day did do does down each even every feel few find first
for from get give good got great had has have he her here him his how if in into is it its just keep
kind know last later leave left like little long look lot made make man many may me might more most
much must my need never new no not now of off old on once one only or other our out over own part
people place put right said same see she should show since so some still such sure take tell than
thank that the their them then there these they thing think this those though time to today too try
turn two up us use very want was water way we well were what when where which while who will with
work would yeah year yes yet you your
""".split())


def garbage_words(phrases: Sequence[str], vocabulary: Iterable[str] | None = None,
                  words: Sequence[str] = COMMON_WORDS) -> list[str]:
    """COMMON_WORDS minus the words of `phrases` (and minus any the engine lacks)."""
    used = {w for p in phrase_words(phrases) for w in p}
    vocab = set(vocabulary) if vocabulary is not None else None
    return [w for w in words if w not in used and (vocab is None or w in vocab)]
