"""Every place voicecoach reads or writes on disk, gathered in one module.

Why one module: the paths follow the platform's conventions (platformdirs:
XDG on Linux, so `~/.config/voicecoach`, `~/.local/share/voicecoach`,
`~/.cache/voicecoach`), tests isolate them by setting the XDG variables, and a
user who wonders "where did it put that?" finds every answer here and in
`voicecoach config`. Functions, not constants: the environment is read at call
time, so a test's `monkeypatch.setenv` takes effect without reimporting.

Environment overrides (each wins over the platform default):
- `VOICECOACH_CONFIG`: the config file itself.
- `VOICECOACH_DATA_DIR`: the data dir (session log, kept audio).
- `VOICECOACH_CACHE_DIR`: the cache dir (rendered speech).
- `VOICECOACH_MODEL`: a Vosk model folder (read by the speech layer; named here).
- `VOICECOACH_MODELS_DIR`: where downloaded models go.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "voicecoach"

ENV_CONFIG = "VOICECOACH_CONFIG"
ENV_DATA_DIR = "VOICECOACH_DATA_DIR"
ENV_CACHE_DIR = "VOICECOACH_CACHE_DIR"
ENV_MODEL = "VOICECOACH_MODEL"
ENV_MODELS_DIR = "VOICECOACH_MODELS_DIR"

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The source checkout (editable install); its `models/` is searched for models too."""


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """`~/.config/voicecoach`: the config file and the user's own routines."""
    return platformdirs.user_config_path(APP_NAME)


def config_file() -> Path:
    """The TOML config file; `VOICECOACH_CONFIG` points elsewhere."""
    return _env_path(ENV_CONFIG) or config_dir() / "config.toml"


def user_routines_dir() -> Path:
    """User routines (`*.toml`); a user routine with a built-in's name wins."""
    return config_dir() / "routines"


def data_dir() -> Path:
    """`~/.local/share/voicecoach`: what the user would miss if it were deleted."""
    return _env_path(ENV_DATA_DIR) or platformdirs.user_data_path(APP_NAME)


def session_db() -> Path:
    """The SQLite session log."""
    return data_dir() / "sessions.db"


def kept_audio_dir() -> Path:
    """WAVs of rejected utterances, when `keep_audio` is on (size-capped)."""
    return data_dir() / "rejected-audio"


def users_dir() -> Path:
    """One folder per enrolled user (`voicecoach enroll`): takes, templates, thresholds."""
    return data_dir() / "users"


def models_dir() -> Path:
    """Where `voicecoach model download` unpacks Vosk models."""
    return _env_path(ENV_MODELS_DIR) or data_dir() / "models"


def cache_dir() -> Path:
    """`~/.cache/voicecoach`: safe to delete (rendered speech, etc.)."""
    return _env_path(ENV_CACHE_DIR) or platformdirs.user_cache_path(APP_NAME)


def all_locations() -> dict[str, Path]:
    """Name -> path, for `voicecoach config` and bug reports."""
    return {
        "config file": config_file(),
        "user routines": user_routines_dir(),
        "session log": session_db(),
        "kept audio": kept_audio_dir(),
        "enrolled users": users_dir(),
        "models": models_dir(),
        "cache": cache_dir(),
    }
