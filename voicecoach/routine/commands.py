"""The built-in commands of routine format version 1 and their phrases.

These are part of the public contract (docs/routines.md, "Built-in commands"): a routine's
`[commands]` table only adds phrases to them, never replaces one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: command name (as used in intents and `[commands]` keys) -> built-in phrases.
BUILTIN_COMMANDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "next": ("next", "next step", "go on"),
        "back": ("back", "go back", "previous"),
        "repeat": ("repeat", "say that again", "again"),
        "pause": ("pause", "hold on", "one moment"),
        "resume": ("resume", "carry on", "let's go"),
        "stop": ("stop", "stop the session", "i'm done"),
        "why": ("why", "why is that"),
        "help": ("help", "what can i say"),
        "status": ("status", "where am i"),
        "slower": ("slower", "slow down"),
        "faster": ("faster", "speed up"),
        "skip_rest": ("skip rest", "skip the rest"),
    }
)

COMMAND_NAMES: tuple[str, ...] = tuple(BUILTIN_COMMANDS)
