"""Finding routines by name and path; a user's copy wins over the built-in of the same name."""

from __future__ import annotations

from pathlib import Path

from voicecoach.routine import catalog, find_routine, load_routine
from voicecoach.routine.catalog import BUILTIN, USER, builtin_dir

REPO = Path(__file__).resolve().parents[2]


def test_builtins_come_from_the_repos_routines_folder() -> None:
    assert builtin_dir() == (REPO / "routines").resolve()
    assert find_routine("squat") == builtin_dir() / "squat.toml"


def test_user_routine_shadows_the_builtin(user_routines: Path) -> None:
    mine = user_routines / "squat.toml"
    text = (REPO / "routines" / "squat.toml").read_text()
    mine.write_text(text.replace('name = "Squat: feet first"', 'name = "My squat"'))
    assert find_routine("squat") == mine
    assert load_routine("squat").name == "My squat"
    entry = next(e for e in catalog() if e.name == "squat")
    assert (entry.source, entry.shadows) == (USER, builtin_dir() / "squat.toml")


def test_catalog_lists_user_and_builtin_routines_by_name(user_routines: Path) -> None:
    (user_routines / "lunge.toml").write_text("not even toml [")
    (user_routines / "notes.txt").write_text("ignored: not a .toml")
    entries = {e.name: e.source for e in catalog()}
    assert entries == {"lunge": USER, "mobility": BUILTIN, "squat": BUILTIN}


def test_a_path_is_a_path_even_with_a_routines_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "squat.toml").write_text((REPO / "routines" / "mobility.toml").read_text())
    assert find_routine("squat.toml") == Path("squat.toml")
    assert find_routine("./squat.toml") == Path("squat.toml")
    assert load_routine("squat.toml").name == "Ankle and hip mobility"


def test_a_bare_file_name_without_toml_ending_still_loads(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "myroutine").write_text((REPO / "routines" / "mobility.toml").read_text())
    assert load_routine("myroutine").source == (tmp_path / "myroutine").resolve()


def test_a_missing_user_dir_is_fine() -> None:
    assert {e.name for e in catalog()} == {"mobility", "squat"}
