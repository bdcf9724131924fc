"""Which folder counts as a Vosk model, and which one is used: --model > env > repo > user dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.speech_models.helpers import make_model_dir
from voicecoach.errors import ModelMissingError
from voicecoach.speech import models
from voicecoach.speech.models import (
    DEFAULT_MODEL,
    FROM_ENV,
    FROM_OPTION,
    FROM_REPO,
    FROM_USER,
    NOT_FOUND,
    layout_problem,
    require_model,
    resolve_model,
)


def test_complete_v2_layout_passes(tmp_path: Path) -> None:
    assert layout_problem(make_model_dir(tmp_path / "m")) is None


def test_hclg_graph_is_enough(tmp_path: Path) -> None:
    folder = make_model_dir(tmp_path / "m")
    for name in ("HCLr.fst", "Gr.fst", "disambig_tid.int"):
        (folder / "graph" / name).unlink()
    (folder / "graph" / "HCLG.fst").write_bytes(b"FAKE HCLG")
    assert layout_problem(folder) is None


def test_old_flat_v1_layout_passes(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    for name in ("final.mdl", "mfcc.conf", "HCLG.fst"):
        (folder / name).write_bytes(b"FAKE")
    assert layout_problem(folder) is None


@pytest.mark.parametrize(
    ("remove", "expected"),
    [
        ("am/final.mdl", "am/final.mdl"),
        ("conf/model.conf", "conf/model.conf"),
        ("graph/Gr.fst", "graph/Gr.fst"),
        ("graph/disambig_tid.int", "graph/disambig_tid.int"),
    ],
)
def test_missing_piece_is_named(tmp_path: Path, remove: str, expected: str) -> None:
    folder = make_model_dir(tmp_path / "m")
    (folder / remove).unlink()
    problem = layout_problem(folder)
    assert problem is not None and expected in problem


def test_no_graph_at_all_is_named(tmp_path: Path) -> None:
    folder = make_model_dir(tmp_path / "m")
    for name in ("HCLr.fst", "Gr.fst"):
        (folder / "graph" / name).unlink()
    assert "graph/HCLG.fst" in (layout_problem(folder) or "")


def test_empty_file_and_fifo_do_not_count(tmp_path: Path) -> None:
    """Kaldi would read a FIFO forever: a hang, not an error."""
    folder = make_model_dir(tmp_path / "m")
    (folder / "am" / "final.mdl").write_bytes(b"")
    assert "am/final.mdl" in (layout_problem(folder) or "")
    (folder / "am" / "final.mdl").unlink()
    os.mkfifo(folder / "am" / "final.mdl")
    assert "am/final.mdl" in (layout_problem(folder) or "")


def test_ivector_folder_must_be_whole(tmp_path: Path) -> None:
    folder = make_model_dir(tmp_path / "m")
    (folder / "ivector").mkdir()
    (folder / "ivector" / "final.ie").write_bytes(b"FAKE")
    assert "ivector/final.mat" in (layout_problem(folder) or "")


def test_not_a_model(tmp_path: Path) -> None:
    assert "does not exist" in (layout_problem(tmp_path / "nope") or "")
    assert "am/final.mdl" in (layout_problem(tmp_path) or "")


# --- resolution order ----------------------------------------------------------------


@pytest.fixture
def everywhere(tmp_path: Path, model_dirs: dict[str, Path],
               monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A valid model in each of the four places."""
    placed = {
        "explicit": make_model_dir(tmp_path / "explicit-model"),
        "env": make_model_dir(tmp_path / "env-model"),
        "repo": make_model_dir(model_dirs["repo"] / DEFAULT_MODEL),
        "user": make_model_dir(model_dirs["user"] / DEFAULT_MODEL),
    }
    monkeypatch.setenv("VOICECOACH_MODEL", str(placed["env"]))
    return placed


def test_explicit_wins(everywhere: dict[str, Path]) -> None:
    assert resolve_model(everywhere["explicit"]) == (everywhere["explicit"], FROM_OPTION)


def test_env_beats_folders(everywhere: dict[str, Path]) -> None:
    assert resolve_model(None) == (everywhere["env"], FROM_ENV)


def test_repo_models_beats_user_dir(everywhere: dict[str, Path],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICECOACH_MODEL")
    assert resolve_model(None) == (everywhere["repo"], FROM_REPO)


def test_user_dir_last(everywhere: dict[str, Path], model_dirs: dict[str, Path],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICECOACH_MODEL")
    everywhere["repo"].rename(model_dirs["repo"].parent / "elsewhere")
    assert resolve_model(None) == (everywhere["user"], FROM_USER)


def test_user_dir_is_the_platform_data_dir(model_dirs: dict[str, Path]) -> None:
    assert models.user_models_dir() == model_dirs["user"]
    assert "voicecoach" in model_dirs["user"].parts and model_dirs["user"].name == "models"


def test_missing_repo_models_folder_is_skipped(model_dirs: dict[str, Path]) -> None:
    assert not model_dirs["repo"].exists()
    assert [src for _, src in models.search_dirs()] == [FROM_USER]


def test_default_model_preferred_then_by_name(model_dirs: dict[str, Path]) -> None:
    make_model_dir(model_dirs["user"] / "aaa-custom")
    make_model_dir(model_dirs["user"] / "zzz-custom")
    assert resolve_model(None)[0] == model_dirs["user"] / "aaa-custom"
    make_model_dir(model_dirs["user"] / DEFAULT_MODEL)
    assert resolve_model(None)[0] == model_dirs["user"] / DEFAULT_MODEL


def test_broken_folder_in_a_models_dir_is_skipped(model_dirs: dict[str, Path]) -> None:
    broken = make_model_dir(model_dirs["repo"] / DEFAULT_MODEL)
    (broken / "am" / "final.mdl").unlink()
    good = make_model_dir(model_dirs["user"] / DEFAULT_MODEL)
    assert resolve_model(None) == (good, FROM_USER)


def test_hidden_unpack_folders_are_ignored(model_dirs: dict[str, Path]) -> None:
    make_model_dir(model_dirs["user"] / f".{DEFAULT_MODEL}.unpack-abc")
    assert resolve_model(None) == (None, NOT_FOUND)


def test_explicit_broken_is_returned_not_replaced(tmp_path: Path,
                                                  model_dirs: dict[str, Path]) -> None:
    make_model_dir(model_dirs["user"] / DEFAULT_MODEL)
    assert resolve_model(tmp_path / "typo") == (tmp_path / "typo", FROM_OPTION)


# --- require_model: one-line errors --------------------------------------------------


def test_no_model_says_what_to_download_and_where(model_dirs: dict[str, Path]) -> None:
    with pytest.raises(ModelMissingError) as caught:
        require_model(None)
    message = caught.value.message
    assert "\n" not in message
    assert "voicecoach model download" in message
    assert "vosk-model-small-en-us-0.15.zip" in message
    assert str(model_dirs["user"]) in message


def test_explicit_missing_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError) as caught:
        require_model(tmp_path / "typo")
    assert str(tmp_path / "typo") in caught.value.message
    assert "does not exist" in caught.value.message and "\n" not in caught.value.message


def test_env_broken_names_path_and_missing_file(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_model_dir(tmp_path / "m")
    (folder / "conf" / "model.conf").unlink()
    monkeypatch.setenv("VOICECOACH_MODEL", str(folder))
    with pytest.raises(ModelMissingError) as caught:
        require_model(None)
    message = caught.value.message
    assert str(folder) in message and "conf/model.conf" in message
    assert "VOICECOACH_MODEL" in message


def test_models_folder_given_instead_of_model_gets_a_hint(tmp_path: Path) -> None:
    inner = make_model_dir(tmp_path / "models" / DEFAULT_MODEL)
    with pytest.raises(ModelMissingError) as caught:
        require_model(tmp_path / "models")
    assert f"did you mean {inner}" in caught.value.message


def test_only_broken_candidates_are_reported(model_dirs: dict[str, Path]) -> None:
    broken = make_model_dir(model_dirs["user"] / DEFAULT_MODEL)
    (broken / "graph" / "Gr.fst").unlink()
    with pytest.raises(ModelMissingError) as caught:
        require_model(None)
    assert str(broken) in caught.value.message and "graph/Gr.fst" in caught.value.message


def test_require_returns_the_resolved_folder(model_dirs: dict[str, Path]) -> None:
    good = make_model_dir(model_dirs["user"] / DEFAULT_MODEL)
    assert require_model(None) == good
