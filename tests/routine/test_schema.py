"""The exported JSON Schema: a valid 2020-12 schema that accepts the shipped routines.

Editors validate with the schema alone (no semantic checks), so here it must
accept every good file and reject the bad files whose fault is a schema fault.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.routine.conftest import BAD
from voicecoach.routine.schema import schema_json

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(schema_json())
VALIDATOR = Draft202012Validator(SCHEMA)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", sorted((REPO / "routines").glob("*.toml")), ids=lambda p: p.name)
def test_schema_accepts_the_shipped_routines(path: Path) -> None:
    assert list(VALIDATOR.iter_errors(tomllib.loads(path.read_text()))) == []


@pytest.mark.parametrize(
    "stem",
    ["unknown-key-rest-second", "reps-zero", "format-2", "when-list-with-number", "empty-steps"],
)
def test_schema_alone_rejects_schema_faults(stem: str) -> None:
    data = tomllib.loads((BAD / f"{stem}.toml").read_text())
    assert not VALIDATOR.is_valid(data)


def test_schema_documents_every_key_for_editor_hovers() -> None:
    step = SCHEMA["properties"]["steps"]["items"]["properties"]
    assert all("description" in spec for spec in step.values())
    assert set(SCHEMA["properties"]["commands"]["properties"]) >= {"next", "skip_rest"}


def test_the_schema_file_next_to_the_builtin_routines_is_current() -> None:
    # The shipped routines start with `#:schema ./routine.schema.json` for editors;
    # regenerate with `voicecoach schema > routines/routine.schema.json`.
    assert (REPO / "routines" / "routine.schema.json").read_text() == schema_json()
    for path in (REPO / "routines").glob("*.toml"):
        assert path.read_text().startswith("#:schema ./routine.schema.json\n"), path
