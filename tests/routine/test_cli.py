"""`voicecoach check`, `routines` and `schema` through the real click CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.routine.conftest import BAD
from voicecoach.cli import cli

REPO = Path(__file__).resolve().parents[2]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_check_valid_files_and_names() -> None:
    result = run("check", "squat", "routines/mobility.toml")
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok squat\nok routines/mobility.toml\n"
    assert result.stderr == ""


def test_check_reports_every_problem_on_stderr_and_exits_2() -> None:
    bad = str(BAD / "unknown-correction-key.toml")
    result = run("check", "mobility", bad)
    assert result.exit_code == 2
    assert result.stdout == "ok mobility\n"
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"error: {bad}: ") for line in lines)
    assert "Traceback" not in result.output


def test_check_unknown_name_and_missing_path(tmp_path: Path) -> None:
    result = run("check", "nope", str(tmp_path / "gone.toml"), str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        result.stderr.splitlines()[0],
        f"error: {tmp_path / 'gone.toml'}: no such file",
        f"error: {tmp_path}: is a directory, not a routine file",
    ]
    assert result.stderr.startswith(
        "error: no routine named 'nope'; known routines: mobility, squat")


def test_check_with_engine_notes_when_vocabulary_is_unavailable(monkeypatch) -> None:
    # `text` has no word list; whatever the speech layer does, the check goes on.
    result = run("check", "--engine", "text", "squat")
    assert result.exit_code == 0
    assert result.stdout == "ok squat\n"
    assert result.stderr == "" or result.stderr.startswith("note: vocabulary check skipped: ")


def test_routines_lists_name_title_steps_length_source_and_path(user_routines: Path) -> None:
    (user_routines / "mobility.toml").write_text((REPO / "routines" / "mobility.toml").read_text())
    (user_routines / "broken.toml").write_text("format = 2\n")
    result = run("routines")
    assert result.exit_code == 0
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line and line[0] != " "}
    assert "NAME" in rows and "TITLE" in rows["NAME"] and "SOURCE" in rows["NAME"]
    squat = rows["squat"]
    assert (
        "Squat: feet first" in squat and " 6 " in squat and "min" in squat and "built-in" in squat
    )
    assert squat.endswith(str((REPO / "routines" / "squat.toml").resolve()))
    assert "user (replaces built-in)" in rows["mobility"]
    assert "invalid" in rows["broken"] and "voicecoach check broken" in rows["broken"]
    assert f"your routines:     {user_routines}" in result.stdout


def test_schema_prints_json() -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_check_with_engine_fails_on_unhearable_words(monkeypatch, tmp_path: Path) -> None:
    # A stand-in for voicecoach.speech.vocab (the speech layer's module, not ours):
    # a vocabulary that knows every word but "butt", so the squat routine must fail.
    import sys
    import types

    from tests.routine.test_vocabulary import SmallVocabulary

    class AllButOne(SmallVocabulary):
        def __contains__(self, word: object) -> bool:
            return word != "butt"

        def suggest(self, word: str) -> str | None:
            return "but"

    fake = types.ModuleType("voicecoach.speech.vocab")
    fake.load_vocabulary = lambda engine, model: AllButOne() if engine == "pocketsphinx" else None
    monkeypatch.setitem(sys.modules, "voicecoach.speech.vocab", fake)

    result = run("check", "--engine", "pocketsphinx", "squat", "mobility")
    assert result.exit_code == 2
    assert result.stdout == "ok mobility\n"
    lines = result.stderr.splitlines()
    assert len(lines) == 6  # "i don't feel my butt" and two more, in two steps
    assert all(line.startswith("error: ") for line in lines)
    assert all('"butt"' in line and 'sounds alike: "but"' in line for line in lines)
    assert lines[0].split(": ")[2] == "steps[2].corrections[5].when[0]"

    result = run("check", "--engine", "vosk", "squat")
    assert result.exit_code == 0
    assert result.stderr == "note: vocabulary check skipped: no word list for engine 'vosk'\n"


def test_schema_output_validates_the_shipped_routines() -> None:
    import tomllib

    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(json.loads(run("schema").stdout))
    for path in (REPO / "routines").glob("*.toml"):
        assert validator.is_valid(tomllib.loads(path.read_text())), path


def test_check_and_run_errors_share_one_style(tmp_path: Path, capsys, monkeypatch) -> None:
    """Issue 13: `check` printed bare `FILE: problem` lines, other commands `error: ...`."""
    import sys

    import pytest

    from voicecoach.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text("format = 2\n")
    checked = run("check", str(bad))
    assert checked.stderr.startswith(f"error: {bad}: ")
    capsys.readouterr()
    for argv in (["simulate", str(bad)], ["run", "--keyboard", "--mute", "--no-tui", str(bad)]):
        monkeypatch.setattr(sys, "argv", ["voicecoach", *argv])
        with pytest.raises(SystemExit) as info:
            main()
        err = capsys.readouterr().err
        assert info.value.code == 2
        assert err.splitlines()[0].startswith(f"error: {bad}: "), argv


def test_check_hard_inputs_never_show_a_traceback(tmp_path: Path) -> None:
    binary = tmp_path / "binary.toml"
    binary.write_bytes(bytes(range(256)))
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"# caf\xe9\n")
    empty = tmp_path / "empty.toml"
    empty.write_bytes(b"")
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    args = [str(p) for p in (binary, latin, empty, huge, tmp_path, tmp_path / "missing.toml")]
    result = run("check", *args)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in lines] == args
    assert "Traceback" not in result.output
