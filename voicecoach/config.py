"""The user's config file: defaults for `voicecoach run`, overridable by env and flags.

A flat TOML file (`voicecoach config --path` prints where), e.g.::

    routine = "squat"
    engine = "pocketsphinx"
    mic = "USB"
    rate = 170

Precedence, lowest first: the default here, the config file, a `VOICECOACH_<KEY>`
environment variable (`VOICECOACH_ENGINE=vosk`), a command-line flag. Every value
carries where it came from, so `voicecoach config` can answer "why is it using
that mic?" without guessing.

A bad file is bad input: every problem at once, one line each naming the file and
the key, exit 2 (the same habit as routine files). A missing file at the default
place is normal (defaults apply); a missing file the user named is an error.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import itertools
import os
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from voicecoach import locations
from voicecoach.errors import VoicecoachError

ENGINES: tuple[str, ...] = ("auto", "vosk", "pocketsphinx", "text")
THEMES: tuple[str, ...] = ("contrast", "light")
"""The TUI's short theme names (`voicecoach.tui.themes.THEME_NAMES`; a test keeps them equal).
Not imported from there: loading the config must not load Textual."""
ECHO_CANCEL: tuple[str, ...] = ("off", "on", "system")
"""`echo_cancel`: off, in-process (`on`), or by the sound server (`system`)."""
DENOISERS: tuple[str, ...] = ("auto", "webrtc", "rnnoise")
"""`denoiser`: `voicecoach.speech.frontend.DENOISERS` (a test keeps them equal; not imported
from there, for the same reason as THEMES)."""
RATE_RANGE: tuple[int, int] = (80, 450)
MAX_CONFIG_BYTES = 1_000_000
"""A config file is a dozen lines; anything this big is a mistake, not a config."""

DEFAULT = "default"


class ConfigError(VoicecoachError):
    """The config file (or a `VOICECOACH_*` variable) is invalid; one line per problem."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if problems else "invalid config", "config")
        self.problems = problems

    def show(self) -> None:
        for line in self.problems:
            print(f"error: {line}", file=sys.stderr)


@dataclass(frozen=True)
class Config:
    """What `voicecoach run` starts with when no flag says otherwise."""

    routine: str = "squat"
    """Routine name or path to a routine file."""
    engine: str = "auto"
    """Speech engine: `auto` (best found), `vosk`, `pocketsphinx`, or `text` (keyboard only)."""
    model: str | None = None
    """Vosk model folder; unset: the first installed model (see `voicecoach model path`)."""
    mic: str | None = None
    """Input device, by index or name substring; unset: the system default."""
    speaker: str | None = None
    """Output device, by index or name substring; unset: the system default."""
    voice: str | None = None
    """Text-to-speech voice id or name (see `voicecoach voices`); unset: the engine's default."""
    rate: int | None = None
    """Speaking rate in words per minute, 80 to 450; unset: the routine's `rate`."""
    beeps: bool | None = None
    """Tones for rep ticks and the end of rest (true/false); unset: the routine's `beeps`."""
    volume: float | None = None
    """Loudness of speech and beeps, 0.0 (silent) to 1.0 (full); unset: 1.0."""
    theme: str = "contrast"
    """Terminal UI look: `contrast` (dark, high contrast) or `light`."""
    keep_audio: bool = False
    """Keep the audio of rejected utterances (true/false), to help tune routines."""
    keep_audio_mb: int = 50
    """Size cap of the kept audio, in megabytes; the oldest files go first."""
    echo_cancel: str = "off"
    """Talk over the coach: `on` (cancel its voice here), `system` (sound server does), `off`."""
    denoiser: str = "auto"
    """Noise suppression: `auto` (RNNoise in steady noise, else WebRTC), `webrtc`, `rnnoise`."""
    classifier: bool = True
    """Judge commands with a classifier learnt from the routine's phrases (true/false)."""
    user: str | None = None
    """Enrolled user whose voice the sessions learnt (`voicecoach enroll`); unset: nobody's."""

    origin: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Key -> where its value came from (`default`, a file path, `env VOICECOACH_X`)."""

    def source(self, key: str) -> str:
        return self.origin.get(key, DEFAULT)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in setting_names()}


def setting_names() -> tuple[str, ...]:
    """The user-settable keys, in file order (everything but `origin`)."""
    return tuple(f.name for f in fields(Config) if f.name != "origin")


def setting_help() -> dict[str, str]:
    """Key -> the docstring under its field (the single source of every key's help text).

    Read from the class source so the help, `config --init` and the README cannot drift
    from the code.
    """
    try:
        tree = ast.parse(inspect.getsource(Config))
    except (OSError, TypeError):  # no source shipped (e.g. a zipapp): help is a nicety
        return {}
    helps: dict[str, str] = {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    for node, following in itertools.pairwise(body):
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):
            helps[node.target.id] = following.value.value
    return {key: helps[key] for key in setting_names() if key in helps}


# --- checking one value ----------------------------------------------------------

_OPTIONAL_STR = {"model", "mic", "speaker", "voice", "user"}
_BOOLS = {"beeps", "keep_audio", "classifier"}
_CHOICES = {"engine": ENGINES, "theme": THEMES, "echo_cancel": ECHO_CANCEL,
            "denoiser": DENOISERS}


def _check_value(key: str, value: Any) -> tuple[Any, str | None]:
    """(the value as Config holds it, or a problem). Values from TOML keep their type."""
    if key == "routine" or key in _OPTIONAL_STR:
        if not isinstance(value, str):
            return None, f"must be a string, not {_type_name(value)}"
        if not value.strip():
            return None, "must not be empty (leave the key out for the default)"
        return (str(Path(value).expanduser()) if key == "model" else value), None
    if key in _CHOICES:
        if not isinstance(value, str):
            return None, f"must be a string, not {_type_name(value)}"
        if value not in _CHOICES[key]:
            return None, f"must be one of {', '.join(_CHOICES[key])}, not {value!r}"
        return value, None
    if key in _BOOLS:
        if not isinstance(value, bool):
            return None, f"must be true or false, not {_type_name(value)}"
        return value, None
    if key == "rate":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"must be a whole number of words per minute, not {_type_name(value)}"
        low, high = RATE_RANGE
        if not low <= value <= high:
            return None, f"must be between {low} and {high} words per minute, not {value}"
        return value, None
    if key == "volume":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"must be a number from 0.0 to 1.0, not {_type_name(value)}"
        if not 0.0 <= float(value) <= 1.0:
            return None, f"must be from 0.0 (silent) to 1.0 (full), not {value}"
        return float(value), None
    if key == "keep_audio_mb":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"must be a whole number of megabytes, not {_type_name(value)}"
        if value < 1:
            return None, f"must be at least 1 megabyte, not {value}"
        return value, None
    raise AssertionError(f"no check for {key}")  # a new field without a check is a bug


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _from_env_text(key: str, text: str) -> Any:
    """An environment variable is always text; read it as TOML would type it."""
    if key in _BOOLS:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        return text
    if key in ("rate", "keep_audio_mb"):
        try:
            return int(text.strip())
        except ValueError:
            return text
    if key == "volume":
        try:
            return float(text.strip())
        except ValueError:
            return text
    return text


def _unknown_key_problem(where: str, key: str) -> str:
    close = difflib.get_close_matches(key, setting_names(), n=1, cutoff=0.6)
    hint = (f" (did you mean `{close[0]}`?)" if close
            else f" (known keys: {', '.join(setting_names())})")
    return f"{where}: unknown key `{key}`{hint}"


# --- loading ---------------------------------------------------------------------


def _read_file(path: Path, explicit: bool) -> dict[str, Any] | None:
    """The parsed table, or None when the default file simply isn't there."""
    shown = str(path)
    if not path.exists():
        if explicit:
            raise ConfigError([f"{shown}: config file not found"])
        return None
    if path.is_dir():
        raise ConfigError([f"{shown}: is a directory, not a config file"])
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError([f"{shown}: too large for a config file ({size} bytes)"])
        raw = path.read_bytes()
    except PermissionError:
        raise ConfigError([f"{shown}: cannot be read (permission denied)"]) from None
    except OSError as exc:
        raise ConfigError([f"{shown}: cannot be read ({exc.strerror or exc})"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{shown}: not UTF-8 text (bad byte at offset {exc.start})"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{shown}: invalid TOML: {exc}"]) from None


def load_config(path: str | Path | None = None) -> Config:
    """The config from `path`, else `$VOICECOACH_CONFIG`, else the default place; env applied.

    Raises ConfigError listing every problem (file and env) at once.
    """
    explicit = path is not None or bool(os.environ.get(locations.ENV_CONFIG, "").strip())
    file_path = Path(path).expanduser() if path is not None else locations.config_file()
    table = _read_file(file_path, explicit)

    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    problems: list[str] = []
    names = setting_names()

    for key, value in (table or {}).items():
        if key not in names:
            problems.append(_unknown_key_problem(str(file_path), key))
            continue
        checked, problem = _check_value(key, value)
        if problem:
            problems.append(f"{file_path}: `{key}` {problem}")
        else:
            values[key], origin[key] = checked, str(file_path)

    for key in names:
        var = f"VOICECOACH_{key.upper()}"
        text = os.environ.get(var)
        if text is None or not text.strip():
            continue
        checked, problem = _check_value(key, _from_env_text(key, text))
        if problem:
            problems.append(f"environment variable {var}: {problem}")
        else:
            values[key], origin[key] = checked, f"env {var}"

    if problems:
        raise ConfigError(problems)
    return Config(**values, origin=origin)


# --- merging flags ---------------------------------------------------------------

_TRUE_ONLY_FLAGS = {"keep_audio"}
"""Flags that can only switch a thing on (`--keep-audio`): False means "not given"."""


def merge(config: Config, flags: Mapping[str, Any]) -> tuple[Config, dict[str, str]]:
    """Apply command-line flags over the config: (the values, key -> where each came from).

    `flags` is click's keyword dict: keys that are not settings (`no_tui`...) and
    values of None (flag not given) are ignored. Flag values are checked like file
    values, so `--rate 20` gets the same message (as a UsageError-style exit 2).
    """
    names = set(setting_names())
    updates: dict[str, Any] = {}
    sources = {key: config.source(key) for key in setting_names()}
    problems: list[str] = []
    for key, value in flags.items():
        if key not in names or value is None:
            continue
        if key in _TRUE_ONLY_FLAGS and value is False:
            continue
        if isinstance(value, Path):
            value = str(value)
        checked, problem = _check_value(key, value)
        flag = ("--no-" if value is False else "--") + key.replace("_", "-")
        if problem:
            problems.append(f"option {flag}: {problem}")
            continue
        updates[key] = checked
        sources[key] = f"flag {flag}"
    if problems:
        raise ConfigError(problems)
    merged = replace(config, **updates, origin={**config.origin, **{
        k: v for k, v in sources.items() if v != DEFAULT}})
    return merged, sources


# --- a starter file --------------------------------------------------------------


def template() -> str:
    """A commented config file with every key at its default (for `voicecoach config --init`)."""
    helps = setting_help()
    defaults = Config()
    lines = ["# voicecoach config: uncomment a line to change it.",
             "# `voicecoach config` shows the merged result and where each value came from.", ""]
    for key in setting_names():
        lines.append(f"# {helps.get(key, '')}".rstrip())
        value = getattr(defaults, key)
        lines.append(f"# {key} = {_toml_value(value) if value is not None else _example(key)}")
        lines.append("")
    return "\n".join(lines)


def _example(key: str) -> str:
    return {"model": '"~/.local/share/voicecoach/models/vosk-model-small-en-us-0.15"',
            "mic": '"USB"', "speaker": '"USB"', "voice": '"en-us"', "rate": "165", "volume": "0.8",
            "beeps": "false", "user": '"me"'}.get(key, '""')


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
