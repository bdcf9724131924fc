"""`download_model` against a real HTTP server on 127.0.0.1 serving FAKE model archives.

The official model cannot be fetched here (no internet); the server and urllib
are real, the archive has Vosk's layout with fake bytes (see helpers.py).
"""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest

from tests.speech_models.helpers import FileServer, make_model_zip, md5, sha256, zip_with_member
from voicecoach.errors import ModelMissingError, UsageError
from voicecoach.speech import models
from voicecoach.speech.download import download_model
from voicecoach.speech.models import KnownModel, is_vosk_model

NAME = "vosk-model-fake-0.1"
ZIP = make_model_zip(NAME)


def _leftovers(models_dir: Path) -> list[str]:
    """Anything but finished model folders: temp folders, partial files."""
    return sorted(p.name for p in models_dir.iterdir() if p.name != NAME) if models_dir.exists() \
        else []


def _download(server: FileServer, name: str = NAME, **kwargs: object) -> tuple[Path, str]:
    out = io.StringIO()
    kwargs.setdefault("url", server.url(f"/{name}.zip"))
    kwargs.setdefault("md5", md5(ZIP))
    result = download_model(name, out=out, **kwargs)  # type: ignore[arg-type]
    return result.path, out.getvalue()


def test_download_checks_unpacks_and_shows_progress(server: FileServer,
                                                   model_dirs: dict[str, Path]) -> None:
    server.files[f"/{NAME}.zip"] = ZIP
    path, log = _download(server, progress=True)
    assert path == model_dirs["user"] / NAME
    assert is_vosk_model(path)
    assert (path / "am" / "final.mdl").read_bytes().startswith(b"FAKE acoustic model")
    assert "100%" in log and "/s" in log and "\r" in log  # the bar drew, with speed, to the end
    assert log.startswith(f"downloading {NAME} from ")
    assert "checked md5: ok" in log and log.rstrip().endswith(f"installed {NAME} in {path}")
    assert _leftovers(model_dirs["user"]) == []


def test_no_bar_when_not_a_terminal_but_start_and_end_lines(server: FileServer) -> None:
    server.files[f"/{NAME}.zip"] = ZIP
    _, log = _download(server)  # a StringIO is not a TTY
    assert "\r" not in log and "%" not in log
    assert log.splitlines()[0].startswith("downloading") and "installed" in log.splitlines()[-1]


def test_already_installed_is_not_downloaded_again(server: FileServer) -> None:
    server.files[f"/{NAME}.zip"] = ZIP
    first, _ = _download(server)
    asked = len(server.requests)
    again, log = _download(server)
    assert again == first and "already installed" in log
    assert len(server.requests) == asked


def test_checksum_mismatch_deletes_the_part(server: FileServer,
                                            model_dirs: dict[str, Path]) -> None:
    server.files[f"/{NAME}.zip"] = ZIP
    with pytest.raises(ModelMissingError) as caught:
        _download(server, md5="0" * 32)
    message = caught.value.message
    assert "failed its checksum" in message and md5(ZIP) in message and "\n" not in message
    assert not (model_dirs["user"] / NAME).exists()
    assert _leftovers(model_dirs["user"]) == []


def test_resume_asks_for_the_rest_only(server: FileServer, model_dirs: dict[str, Path]) -> None:
    server.files[f"/{NAME}.zip"] = ZIP
    model_dirs["user"].mkdir(parents=True)
    kept = 100_000
    (model_dirs["user"] / f"{NAME}.zip.part").write_bytes(ZIP[:kept])
    path, log = _download(server)
    assert server.requests == [(f"/{NAME}.zip", f"bytes={kept}-")]
    assert server.body_bytes_sent == len(ZIP) - kept
    assert "resuming at" in log and is_vosk_model(path)


def test_server_ignoring_range_starts_over(server: FileServer,
                                           model_dirs: dict[str, Path]) -> None:
    """A 200 to a Range request is the whole file: appending it would corrupt the zip."""
    server.files[f"/{NAME}.zip"] = ZIP
    server.ignore_range = True
    model_dirs["user"].mkdir(parents=True)
    (model_dirs["user"] / f"{NAME}.zip.part").write_bytes(b"stale bytes from another file")
    path, log = _download(server)
    assert "does not support resuming; starting over" in log
    assert server.body_bytes_sent == len(ZIP) and is_vosk_model(path)


def test_cut_connection_keeps_the_part_and_a_rerun_resumes(server: FileServer,
                                                          model_dirs: dict[str, Path]) -> None:
    server.files[f"/{NAME}.zip"] = ZIP
    server.cut_after = 70_000
    with pytest.raises(ModelMissingError) as caught:
        _download(server)
    assert "stopped early" in caught.value.message and "resume" in caught.value.message
    part = model_dirs["user"] / f"{NAME}.zip.part"
    assert part.stat().st_size == 70_000
    server.cut_after = None
    path, _ = _download(server)
    assert server.requests[-1] == (f"/{NAME}.zip", "bytes=70000-")
    assert is_vosk_model(path) and not part.exists()


def test_part_longer_than_the_file_gets_416_then_starts_over(server: FileServer,
                                                             model_dirs: dict[str, Path]) -> None:
    server.files[f"/{NAME}.zip"] = ZIP
    model_dirs["user"].mkdir(parents=True)
    (model_dirs["user"] / f"{NAME}.zip.part").write_bytes(b"x" * (len(ZIP) + 10))
    path, _ = _download(server)
    assert [r for _, r in server.requests] == [f"bytes={len(ZIP) + 10}-", None]
    assert is_vosk_model(path)


@pytest.mark.parametrize(
    "hostile",
    [
        zip_with_member("../escaped.txt"),
        zip_with_member("vosk-model-fake-0.1/../../escaped.txt"),
        zip_with_member("/tmp/escaped-absolute.txt"),
        zip_with_member("vosk-model-fake-0.1/link", b"/etc/passwd", symlink=True),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink"],
)
def test_path_traversal_archive_is_refused(server: FileServer, model_dirs: dict[str, Path],
                                           hostile: bytes) -> None:
    server.files[f"/{NAME}.zip"] = hostile
    with pytest.raises(ModelMissingError) as caught:
        _download(server, md5=md5(hostile))
    assert "refusing to unpack" in caught.value.message
    assert not (model_dirs["user"] / NAME).exists()
    assert not (model_dirs["user"].parent / "escaped.txt").exists()
    assert not list(model_dirs["user"].glob(".*unpack*"))


def test_archive_without_a_model_is_refused(server: FileServer,
                                            model_dirs: dict[str, Path]) -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("something/README", b"not a model")
    data = buffer.getvalue()
    server.files[f"/{NAME}.zip"] = data
    with pytest.raises(ModelMissingError) as caught:
        _download(server, md5=md5(data))
    assert "does not hold a Vosk model" in caught.value.message
    assert not (model_dirs["user"] / NAME).exists()


def test_not_a_zip_is_refused_and_deleted(server: FileServer,
                                          model_dirs: dict[str, Path]) -> None:
    page = b"<html>captive portal</html>"
    server.files[f"/{NAME}.zip"] = page
    with pytest.raises(ModelMissingError) as caught:
        _download(server, md5=md5(page))
    assert "not a zip archive" in caught.value.message
    assert _leftovers(model_dirs["user"]) == []


def test_archive_with_model_at_its_root_is_accepted(server: FileServer) -> None:
    flat = make_model_zip(top=None)
    server.files[f"/{NAME}.zip"] = flat
    path, _ = _download(server, md5=md5(flat))
    assert is_vosk_model(path)


def test_broken_installed_folder_is_replaced(server: FileServer,
                                             model_dirs: dict[str, Path]) -> None:
    broken = model_dirs["user"] / NAME / "am"
    broken.mkdir(parents=True)
    server.files[f"/{NAME}.zip"] = ZIP
    path, log = _download(server)
    assert "replacing the incomplete" in log and is_vosk_model(path)
    assert _leftovers(model_dirs["user"]) == []


# --- errors that need no archive -----------------------------------------------------


def test_http_error_is_one_line_with_the_manual_fix(server: FileServer,
                                                    model_dirs: dict[str, Path]) -> None:
    with pytest.raises(ModelMissingError) as caught:
        _download(server)
    message = caught.value.message
    assert "HTTP 404" in message and "\n" not in message
    assert "by hand" in message and str(model_dirs["user"]) in message


def test_no_network_is_one_line_with_the_manual_fix(model_dirs: dict[str, Path]) -> None:
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ModelMissingError) as caught:
        download_model(NAME, url=f"http://127.0.0.1:{port}/{NAME}.zip", out=io.StringIO())
    message = caught.value.message
    assert "cannot download" in message and "refused" in message.lower()
    assert f"unpack it into {model_dirs['user']}" in message and "\n" not in message


def test_unknown_name_without_url_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        download_model("vosk-model-nonesuch", out=io.StringIO())
    assert "vosk-model-small-en-us-0.15" in caught.value.message


@pytest.mark.parametrize("name", ["../evil", "a/b", ".hidden", "x.zip.part"])
def test_unsafe_name_is_a_usage_error(name: str) -> None:
    with pytest.raises(UsageError):
        download_model(name, url="http://127.0.0.1:9/x.zip", out=io.StringIO())


# --- a known model: pinned size and sha256, md5 from the published list ---------------


@pytest.fixture
def known_fake(server: FileServer, monkeypatch: pytest.MonkeyPatch) -> KnownModel:
    """A table entry like the real one, pointing at the test server."""
    entry = KnownModel(name=NAME, url=server.url(f"/{NAME}.zip"), size=len(ZIP),
                       sha256=sha256(ZIP), md5=None, description="fake")
    monkeypatch.setattr(models, "KNOWN_MODELS", (*models.KNOWN_MODELS, entry))
    server.files[f"/{NAME}.zip"] = ZIP
    return entry


def _publish(server: FileServer, monkeypatch: pytest.MonkeyPatch, md5_hex: str) -> None:
    listing = [{"name": NAME, "md5": md5_hex, "size": len(ZIP), "obsolete": "false"}]
    server.files["/model-list.json"] = json.dumps(listing).encode()
    monkeypatch.setenv("VOICECOACH_MODEL_LIST_URL", server.url("/model-list.json"))


def test_known_model_checks_size_sha256_and_published_md5(
        server: FileServer, known_fake: KnownModel, monkeypatch: pytest.MonkeyPatch) -> None:
    _publish(server, monkeypatch, md5(ZIP))
    log = io.StringIO()
    path = download_model(NAME, out=log).path
    assert is_vosk_model(path)
    assert "checked size, sha256, md5: ok" in log.getvalue()


def test_published_md5_mismatch_fails(server: FileServer, known_fake: KnownModel,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _publish(server, monkeypatch, "f" * 32)
    with pytest.raises(ModelMissingError) as caught:
        download_model(NAME, out=io.StringIO())
    assert "md5" in caught.value.message and "sha256" not in caught.value.message


def test_unreachable_md5_list_falls_back_to_sha256(server: FileServer, known_fake: KnownModel,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECOACH_MODEL_LIST_URL", server.url("/no-such-list.json"))
    log = io.StringIO()
    assert is_vosk_model(download_model(NAME, out=log).path)
    assert "could not read the published md5 list" in log.getvalue()
    assert "checked size, sha256: ok" in log.getvalue()


def test_pinned_sha256_mismatch_fails(server: FileServer, known_fake: KnownModel) -> None:
    other = make_model_zip(NAME, extra={"README": b"a different archive of the same size?"})
    server.files[f"/{NAME}.zip"] = other
    with pytest.raises(ModelMissingError) as caught:
        download_model(NAME, out=io.StringIO())
    assert "sha256" in caught.value.message and "failed its checksum" in caught.value.message


def test_env_url_override_is_used(server: FileServer, known_fake: KnownModel,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    server.files["/mirror/fake.zip"] = ZIP
    monkeypatch.setenv("VOICECOACH_MODEL_URL", server.url("/mirror/fake.zip"))
    assert is_vosk_model(download_model(NAME, out=io.StringIO()).path)
    assert server.requests[0][0] == "/mirror/fake.zip"


def test_real_table_entry_is_the_official_small_english_model() -> None:
    model = models.default_model()
    assert model.name == "vosk-model-small-en-us-0.15"
    assert model.url == "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
    assert model.size == 41_205_931 and models.human_size(model.size) == "39.3 MiB"
