"""Shared test set-up. Area fixtures: `tests/<area>/conftest.py`; helpers: `tests/support/`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the developer's real config, data or cache dirs."""
    home = tmp_path_factory.mktemp("xdg")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    # Any VOICECOACH_* setting of the developer's (data dir, model, config, engine...)
    # would send test writes to real folders or change defaults under the tests.
    for var in [v for v in os.environ if v.startswith("VOICECOACH_")]:
        monkeypatch.delenv(var, raising=False)
    # The phrase classifier learns a routine from a few thousand generated takes (minutes of
    # CPU, cached in the per-test cache dir above): off unless a test asks for it
    # (tests/speech/test_phrase_classifier.py, tests/commands/test_classifier_cli.py).
    monkeypatch.setenv("VOICECOACH_CLASSIFIER", "false")
    os.environ.setdefault("TERM", "xterm-256color")
