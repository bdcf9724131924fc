"""First set-up's model download (`setup_default_model`, what scripts/setup.sh runs).

Against real sockets on 127.0.0.1: a local HTTP server with a FAKE model archive
(Vosk's layout, random bytes; tests/speech_models/helpers.py) for the online path,
a closed port for "offline" (refused at once), and a listening socket that never
answers for a network that swallows packets. The official model cannot be fetched
here (no internet), so the online test pins the fake archive's size and sha256 as
if it were the default model; the checks themselves are the real ones.
"""

from __future__ import annotations

import io
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.speech_models.helpers import FileServer, make_model_zip, serve, sha256
from voicecoach import locations
from voicecoach.speech import download, models
from voicecoach.speech.download import FAILED_STAMP, setup_default_model
from voicecoach.speech.models import DEFAULT_MODEL, KnownModel, is_vosk_model

ZIP = make_model_zip(DEFAULT_MODEL)


@pytest.fixture(autouse=True)
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No model anywhere: an empty fake checkout and a fresh models dir; no md5 list."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    monkeypatch.setattr(locations, "REPO_ROOT", checkout)
    monkeypatch.setenv("VOICECOACH_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("VOICECOACH_MODEL_LIST_URL", "")
    return tmp_path / "models"


@pytest.fixture
def closed_url() -> str:
    """A port on 127.0.0.1 that nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/model.zip"


@pytest.fixture
def silent_server() -> Iterator[tuple[str, socket.socket]]:
    """Listens (the kernel completes the handshake) but never accepts nor answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/model.zip", sock


def _setup(timeout: float = download.PROBE_TIMEOUT_S) -> tuple[int, list[str], float]:
    out = io.StringIO()
    start = time.monotonic()
    code = setup_default_model(out, probe_timeout=timeout)
    return code, out.getvalue().splitlines(), time.monotonic() - start


def _was_asked(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return False
    return True


def test_offline_is_one_line_fast_and_not_retried_for_a_day(
        closed_url: str, models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECOACH_MODEL_URL", closed_url)
    code, lines, took = _setup()
    assert code == 0 and took < 2
    assert lines == ["[setup] offline (127.0.0.1: Connection refused): no Vosk model "
                     "downloaded; using pocketsphinx (run `voicecoach model download` later)"]
    stamp = models_dir / FAILED_STAMP
    assert stamp.read_text().strip() == closed_url
    assert models.resolve_model(None) == (None, models.NOT_FOUND)  # the stamp is no model

    assert _setup()[:2] == (0, [])  # remembered: silent, no second wait

    monkeypatch.setenv("VOICECOACH_MODEL_URL", closed_url + "?mirror")
    assert len(_setup()[1]) == 1  # another address is tried
    day_old = time.time() - download.RETRY_AFTER_S - 60
    stamp.write_text(closed_url + "\n")
    monkeypatch.setenv("VOICECOACH_MODEL_URL", closed_url)
    os.utime(stamp, (day_old, day_old))
    assert len(_setup()[1]) == 1  # a day later it tries again


def test_a_server_that_never_answers_is_bounded_by_the_timeout(
        silent_server: tuple[str, socket.socket], monkeypatch: pytest.MonkeyPatch) -> None:
    url, sock = silent_server
    monkeypatch.setenv("VOICECOACH_MODEL_URL", url)
    code, lines, took = _setup(timeout=0.5)
    assert code == 0 and 0.4 < took < 2
    assert len(lines) == 1 and lines[0].startswith("[setup] offline (127.0.0.1: ")
    assert "using pocketsphinx" in lines[0]
    assert _was_asked(sock)  # it did knock: the wait was the server's silence


def test_online_downloads_the_default_model_once(models_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(FileServer()) as server:
        server.files["/model.zip"] = ZIP
        pinned = KnownModel(name=DEFAULT_MODEL, url=server.url("/model.zip"), size=len(ZIP),
                            sha256=sha256(ZIP), md5=None, description="fake default")
        monkeypatch.setattr(models, "KNOWN_MODELS", (pinned,))
        models_dir.mkdir()
        (models_dir / FAILED_STAMP).write_text("http://old.example/model.zip\n")
        code, lines, _ = _setup()
        assert code == 0
        assert lines[0].startswith("[setup] no Vosk model yet: downloading the default one")
        assert "VOICECOACH_NO_MODEL=1 skips this" in lines[0]
        assert "checked size, sha256: ok" in lines
        assert lines[-1] == f"installed {DEFAULT_MODEL} in {models_dir / DEFAULT_MODEL}"
        assert models.resolve_model(None) == (models_dir / DEFAULT_MODEL, models.FROM_USER)
        assert is_vosk_model(models_dir / DEFAULT_MODEL)
        assert not (models_dir / FAILED_STAMP).exists()

        asked = len(server.requests)
        assert _setup()[:2] == (0, [])  # installed: silent, not asked again
        assert len(server.requests) == asked


def test_a_failed_download_is_one_line_and_set_up_still_succeeds(
        models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(FileServer()) as server:  # it answers, but has no such file
        monkeypatch.setenv("VOICECOACH_MODEL_URL", server.url("/gone.zip"))
        code, lines, _ = _setup()
    assert code == 0
    assert lines[-1].startswith("[setup] no Vosk model: cannot download ")
    assert "HTTP 404" in lines[-1] and lines[-1].endswith("using pocketsphinx for now")
    assert (models_dir / FAILED_STAMP).is_file()


def test_no_model_env_and_a_chosen_model_mean_no_attempt(
        silent_server: tuple[str, socket.socket], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, sock = silent_server
    monkeypatch.setenv("VOICECOACH_MODEL_URL", url)
    monkeypatch.setenv("VOICECOACH_NO_MODEL", "1")
    assert _setup()[:2] == (0, [])
    monkeypatch.delenv("VOICECOACH_NO_MODEL")
    monkeypatch.setenv("VOICECOACH_MODEL", str(tmp_path / "my-own-model"))  # even if absent
    assert _setup()[:2] == (0, [])
    assert not _was_asked(sock)
