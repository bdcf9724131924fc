"""Model-management tests: every place a model is looked for points into the test's temp dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.speech_models.helpers import FileServer, serve
from voicecoach import locations


@pytest.fixture(autouse=True)
def model_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A fake checkout (its models/ is absent until a test makes it) and a fresh data dir.

    The md5 list look-up is switched off (empty VOICECOACH_MODEL_LIST_URL): there is no
    internet here, and the tests that need the list serve their own.
    """
    for name in list(os.environ):
        if name.startswith("VOICECOACH_"):
            monkeypatch.delenv(name)
    repo = tmp_path / "checkout"
    repo.mkdir()
    monkeypatch.setattr(locations, "REPO_ROOT", repo)
    monkeypatch.setenv("VOICECOACH_MODEL_LIST_URL", "")
    return {"repo": repo / "models", "user": locations.models_dir()}


@pytest.fixture
def server() -> Iterator[FileServer]:
    with serve(FileServer()) as state:
        yield state
