"""The two looks: high contrast (default, dark) and light.

Colours are picked from the 16-colour ANSI palette's own values, so that over
SSH (`TEXTUAL_COLOR_SYSTEM=standard`, or a terminal without truecolor) they
map to themselves instead of to a muddy nearest match. Contrast comes from
pure black/white and bright yellow/cyan, never from subtle shades.
"""

from __future__ import annotations

from textual.theme import Theme

CONTRAST = "voicecoach-contrast"
LIGHT = "voicecoach-light"

#: Short names accepted by `make_app(theme=...)` and `--theme`.
THEME_NAMES: dict[str, str] = {"contrast": CONTRAST, "light": LIGHT}

CONTRAST_THEME = Theme(
    name=CONTRAST,
    primary="#ffff00",
    secondary="#00ffff",
    accent="#00ffff",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#000080",
    success="#00ff00",
    warning="#ffff00",
    error="#ff0000",
    boost="#ffffff",
    dark=True,
    luminosity_spread=0.0,
    text_alpha=1.0,
    variables={
        "footer-key-foreground": "#ffff00",
        "block-cursor-background": "#ffff00",
        "block-cursor-foreground": "#000000",
        "input-selection-background": "#000080",
    },
)

LIGHT_THEME = Theme(
    name=LIGHT,
    primary="#000080",
    secondary="#008080",
    accent="#800080",
    foreground="#000000",
    background="#ffffff",
    surface="#ffffff",
    panel="#c0c0c0",
    success="#008000",
    warning="#808000",
    error="#800000",
    boost="#000000",
    dark=False,
    luminosity_spread=0.0,
    text_alpha=1.0,
    variables={
        "footer-key-foreground": "#000080",
        "block-cursor-background": "#000080",
        "block-cursor-foreground": "#ffffff",
    },
)

THEMES: tuple[Theme, ...] = (CONTRAST_THEME, LIGHT_THEME)


def theme_name(name: str) -> str:
    """`contrast`/`light` (or a full theme name) -> the registered theme name."""
    if name in THEME_NAMES:
        return THEME_NAMES[name]
    if name in THEME_NAMES.values():
        return name
    from voicecoach.errors import UsageError

    raise UsageError(f"unknown theme {name!r}; choose one of: {', '.join(THEME_NAMES)}")
