"""Every key as data: the session screen binds these, the help screen lists them.

One table, so the footer, the help screen and the bindings cannot drift apart.
Each command key sends the same built-in command a spoken phrase would.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

#: Keys that send a built-in coach command: (keys, command, description, in footer).
COMMAND_KEYS: tuple[tuple[str, str, str, bool], ...] = (
    ("space,n", "next", "Next", True),
    ("b", "back", "Back", False),
    ("r", "repeat", "Repeat", True),
    ("w", "why", "Why", False),
    ("s", "status", "Status", False),
    ("h", "help", "Say help", False),
    ("plus,equals_sign", "faster", "Faster", False),
    ("minus", "slower", "Slower", False),
    ("k", "skip_rest", "Skip rest", False),
    ("x,ctrl+s", "stop", "Stop", False),
)

SESSION_BINDINGS: list[BindingType] = [
    *(
        Binding(keys, f"command('{command}')", description, show=show,
                key_display="space" if keys.startswith("space") else None)
        for keys, command, description, show in COMMAND_KEYS
    ),
    Binding("p", "toggle_pause", "Pause/Resume"),
    Binding("colon,slash", "type_phrase", "Type"),
    Binding("question_mark", "help_screen", "Keys"),
    Binding("q", "confirm_quit", "Quit"),
]

#: Readable names for the help screen (Textual key names -> what is printed on the cap).
KEY_NAMES = {
    "space": "space", "plus": "+", "equals_sign": "=", "minus": "-", "colon": ":",
    "slash": "/", "question_mark": "?", "ctrl+s": "Ctrl-S", "ctrl+q": "Ctrl-Q",
    "enter": "Enter", "escape": "Esc",
}


def key_label(keys: str) -> str:
    """`space,n` -> `space / n`."""
    return " / ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))
