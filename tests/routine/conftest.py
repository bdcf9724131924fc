"""Fixtures for the routine tests: where the test routines are, and the user routines dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicecoach import locations

DATA = Path(__file__).resolve().parents[1] / "data" / "routines"
BAD = DATA / "bad"


@pytest.fixture
def user_routines() -> Path:
    """The (isolated, see tests/conftest.py) user routines folder, created."""
    folder = locations.user_routines_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
