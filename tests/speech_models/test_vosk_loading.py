"""The real vosk library on missing, broken and (when installed) real model folders.

No real model can be downloaded here, so the "broken but complete layout" folder has
fake bytes; Vosk's C++ loader is run on it in a subprocess, so that if it ever crashed
the process instead of raising, the test would fail rather than take pytest down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.speech_models.helpers import make_model_dir
from voicecoach.errors import ModelMissingError
from voicecoach.speech.models import load_vosk_model, resolve_model

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from pathlib import Path
from voicecoach.errors import VoicecoachError
from voicecoach.speech.models import load_vosk_model
try:
    load_vosk_model(Path(sys.argv[1]))
    print(json.dumps({"loaded": True}))
except VoicecoachError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": exc.message}))
"""


def _probe(folder: Path) -> tuple[dict[str, object], subprocess.CompletedProcess[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(folder)], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"the process died ({done.returncode}): {done.stderr[-500:]}"
    return json.loads(done.stdout.strip().splitlines()[-1]), done


def test_missing_folder_is_our_error(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError) as caught:
        load_vosk_model(tmp_path / "nope")
    assert str(tmp_path / "nope") in caught.value.message
    assert "voicecoach model download" in caught.value.message


def test_incomplete_layout_never_reaches_vosk(tmp_path: Path) -> None:
    """An absent Gr.fst is read by Vosk as a null FST: checked before Vosk sees it."""
    folder = make_model_dir(tmp_path / "m")
    (folder / "graph" / "Gr.fst").unlink()
    with pytest.raises(ModelMissingError) as caught:
        load_vosk_model(folder)
    assert "graph/Gr.fst" in caught.value.message


def test_garbage_model_files_become_one_line_error(tmp_path: Path) -> None:
    folder = make_model_dir(tmp_path / "fake")
    result, done = _probe(folder)
    assert result.get("error") == "ModelMissingError", result
    message = str(result["message"])
    assert str(folder) in message and "\n" not in message
    assert "<TransitionModel>" in message  # Kaldi's own reason, carried into ours
    assert "VoskAPI" not in done.stderr  # Kaldi's log lines were kept off the terminal


def test_garbage_with_a_plausible_header(tmp_path: Path) -> None:
    folder = make_model_dir(tmp_path / "fake")
    (folder / "am" / "final.mdl").write_bytes(b"\0B<TransitionModel> <Topology> \4\0\0\0\0")
    result, _ = _probe(folder)
    assert result.get("error") == "ModelMissingError", result


def test_real_model_loads_when_installed() -> None:
    path, source = resolve_model(None)
    if path is None:
        pytest.skip("no Vosk model installed (run `voicecoach model download`); "
                    "it cannot be downloaded on the test machine")
    model = load_vosk_model(path)
    assert model is not None, source
