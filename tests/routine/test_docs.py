"""The routine format is documented inside the project (docs/routines.md), and nothing a user
reads points outside it: a user's clone has no `../shared/`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from voicecoach.routine.commands import BUILTIN_COMMANDS
from voicecoach.routine.schema import schema_json

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "routines.md"


def _user_facing() -> list[Path]:
    files = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
             *sorted((REPO / "routines").iterdir()), *sorted((REPO / "voicecoach").rglob("*.py"))]
    return [f for f in files if f.is_file()]


def test_nothing_a_user_reads_points_outside_the_project() -> None:
    """Issue 13: the README linked ../shared/routine-format.md, which a clone does not have."""
    offenders = [f"{path.relative_to(REPO)}:{n}" for path in _user_facing()
                 for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
                 if "shared/" in line]
    assert offenders == []


def test_readme_and_the_squat_routine_point_to_the_routine_docs() -> None:
    assert "](docs/routines.md)" in (REPO / "README.md").read_text()
    header = (REPO / "routines" / "squat.toml").read_text().split("format = 1")[0]
    assert "docs/routines.md" in header


def _schema_keys() -> set[str]:
    """Every key the format knows, from the JSON Schema the loader validates with."""
    keys: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.get("properties", {}).items():
                keys.add(key)
                walk(value)
            for part in ("items", "additionalProperties", "$defs"):
                if isinstance(node.get(part), dict):
                    walk(node[part] if part != "$defs" else {"properties": node[part]})
    walk(json.loads(schema_json()))
    return keys - set(json.loads(schema_json()).get("$defs", {}))


def test_the_docs_describe_every_key_of_the_format() -> None:
    text = DOC.read_text()
    missing = sorted(k for k in _schema_keys() if f"`{k}`" not in text and f"[{k}]" not in text)
    assert missing == []


@pytest.mark.parametrize("command", sorted(BUILTIN_COMMANDS))
def test_the_docs_list_each_built_in_command_with_its_phrases(command: str) -> None:
    rows = [line for line in DOC.read_text().splitlines() if line.startswith(f"| `{command}` |")]
    assert rows, command
    cells = [c.strip() for c in rows[-1].split("|")]
    assert cells[2] == ", ".join(BUILTIN_COMMANDS[command])


def test_the_docs_explain_scoping_then_and_checking() -> None:
    text = DOC.read_text()
    for heading in ("## Corrections: which one answers", "## What `then` does",
                    "## Checking a file", "## Built-in commands"):
        assert heading in text
    assert re.search(r"nearest step", text) and '"scope": "nearest-step"' in text
    for then in ("continue", "pause", "stop", "repeat-step"):
        assert f'| `"{then}"`' in text
