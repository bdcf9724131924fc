"""Whatever a user points `check` or `run` at: one clear line, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voicecoach.errors import RoutineError
from voicecoach.routine import check_file, load_routine
from voicecoach.routine.source import MAX_BYTES


def only_problem(path: Path) -> str:
    result = check_file(path)
    assert result.routine is None
    (problem,) = result.problems
    line = str(problem)
    assert line.startswith(str(path)) and "\n" not in line
    return line


def test_missing_path(tmp_path: Path) -> None:
    assert only_problem(tmp_path / "nope.toml").endswith(": no such file")


def test_directory(tmp_path: Path) -> None:
    assert only_problem(tmp_path).endswith(": is a directory, not a routine file")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_bytes(b"")
    assert ": empty file; a routine needs `format = 1`" in only_problem(path)


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.toml"
    path.write_text("\n  \n\t\n")
    assert ": empty file" in only_problem(path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert only_problem(path).endswith(": binary file, not a TOML routine")


def test_non_utf8_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('format = 1\n[routine]\nname = "Café"\n'.encode("latin-1"))
    line = only_problem(path)
    assert line == f"{path}:3:12: not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_utf8_bom_is_forgiven(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "routines" / "mobility.toml"
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    assert check_file(path).ok


def test_fifty_megabyte_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:  # sparse: costs no disk and no time
        handle.truncate(50 * 1024 * 1024)
    assert ": too large for a routine file (over 1 MiB)" in only_problem(path)


def test_just_over_the_cap_of_real_toml_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "long.toml"
    path.write_text("# padding\n" * (MAX_BYTES // 10 + 1))
    assert ": too large" in only_problem(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_device_file_is_not_read_forever() -> None:
    assert only_problem(Path("/dev/zero")).endswith(": is not a regular file")


def test_unknown_routine_name_lists_the_known_ones() -> None:
    with pytest.raises(RoutineError) as caught:
        load_routine("squats")
    assert "no routine named 'squats'; known routines: mobility, squat" in caught.value.message


def test_load_routine_of_a_missing_path_raises_routine_error(tmp_path: Path) -> None:
    with pytest.raises(RoutineError) as caught:
        load_routine(tmp_path / "gone.toml")
    assert caught.value.problems == [f"{tmp_path / 'gone.toml'}: no such file"]
