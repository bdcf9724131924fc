"""Fetch, check and unpack a Vosk model: `voicecoach model download [NAME]`.

Why it is careful: a 40 MB download on a Raspberry Pi's Wi-Fi gets interrupted,
so bytes go to `NAME.zip.part` and a rerun resumes with an HTTP Range request
(a server that answers 200 instead of 206 is simply read again from the start).
The archive is checked (size, sha256 pinned in `KNOWN_MODELS`, md5 as Vosk
publishes it) before anything is unpacked; it is unpacked into a hidden temp
folder beside the target, never outside it (no `..`, absolute paths or
symlinks), and moved into place with one rename, so `models/NAME` is either
absent or complete. Plain urllib for the transfer; the bar is rich's (installed
with Textual), not one of our own.

`setup_default_model` is the same download as `scripts/setup.sh` runs it on a
first set-up: only when no model is found, after a probe that gives up within a
few seconds (offline is one line, not a 30 s time-out), and not again for a day
after a failure (a stamp beside the models), so `scripts/run.sh` starts at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

from voicecoach import __version__
from voicecoach.errors import ModelMissingError, UsageError
from voicecoach.speech.models import (
    DEFAULT_MODEL,
    KNOWN_MODELS,
    MODEL_LIST_URL,
    KnownModel,
    human_size,
    is_vosk_model,
    known_model,
    layout_problem,
    resolve_model,
    user_models_dir,
)

ENV_MODEL_URL = "VOICECOACH_MODEL_URL"
"""Download from here instead of the official URL (a mirror, or a test server)."""
ENV_MODEL_LIST_URL = "VOICECOACH_MODEL_LIST_URL"
"""Where the published md5 list is read from; set it empty to skip that look-up."""

ENV_NO_MODEL = "VOICECOACH_NO_MODEL"
"""Set to 1 and set-up never downloads a model (the tests and CI pass --no-model instead)."""

CHUNK = 64 * 1024
TIMEOUT_S = 30.0
LIST_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 4.0
"""How long set-up waits for the model server to answer before calling itself offline."""
RETRY_AFTER_S = 24 * 3600.0
"""After a failed set-up download, set-up stays quiet and does not try again for this long."""
FAILED_STAMP = ".setup-download-failed"
"""In the models dir (hidden: never a model candidate); holds the URL that failed."""
MAX_UNPACKED_BYTES = 8 * 1024**3
"""Refuse an archive that claims to unpack to more than this (a zip bomb, not a model)."""

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Installed:
    """The result of a download: where the model is, and whether it was already there."""

    path: Path
    already: bool


@dataclass(frozen=True)
class _Source:
    name: str
    url: str
    size: int | None
    sha256: str | None
    md5: str | None
    known: KnownModel | None


def _say(out: TextIO, line: str) -> None:
    print(line, file=out, flush=True)


def _resolve_source(name: str | None, url: str | None, md5: str | None) -> _Source:
    name = name or DEFAULT_MODEL
    if not _SAFE_NAME.match(name) or name.endswith((".part", ".zip")):
        raise UsageError(f"bad model name {name!r}: use a plain folder name like {DEFAULT_MODEL}")
    known = known_model(name)
    url = url or os.environ.get(ENV_MODEL_URL, "").strip() or None
    if known is None and url is None:
        names = ", ".join(m.name for m in KNOWN_MODELS)
        raise UsageError(f"unknown model {name!r}: known models are {names}; "
                         "for another model give its archive's address with --url")
    if md5 is not None and not re.fullmatch(r"[0-9a-fA-F]{32}", md5):
        raise UsageError(f"bad --md5 {md5!r}: expected 32 hex digits")
    return _Source(
        name=name,
        url=url or (known.url if known else ""),
        size=known.size if known else None,
        sha256=known.sha256 if known else None,
        md5=(md5 or (known.md5 if known else None) or None),
        known=known,
    )


def by_hand(source_url: str, name: str) -> str:
    """The offline fix, in one clause."""
    target = user_models_dir() / name
    return (f"to install by hand, download {source_url} on a machine with internet and "
            f"unpack it into {user_models_dir()}/ (so {target / 'am' / 'final.mdl'} exists)")


def download_model(name: str | None = None, *, url: str | None = None, md5: str | None = None,
                   out: TextIO | None = None, progress: bool | None = None) -> Installed:
    """Download, check and unpack model NAME (default: the small English model).

    Raises `ModelMissingError` (one line: what went wrong and how to do it by hand)
    or `UsageError` for a bad name; a KeyboardInterrupt leaves a resumable `.part`.
    """
    out = out if out is not None else sys.stderr
    src = _resolve_source(name, url, md5)
    models_dir = user_models_dir()
    target = models_dir / src.name
    if is_vosk_model(target):
        _say(out, f"{src.name} is already installed in {target}")
        return Installed(target, already=True)
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelMissingError(f"cannot create {models_dir}: {exc.strerror or exc}") from exc

    part = models_dir / f"{src.name}.zip.part"
    size_text = f" ({human_size(src.size)})" if src.size else ""
    _say(out, f"downloading {src.name}{size_text} from {src.url}")
    show = progress if progress is not None else _isatty(out)
    try:
        _fetch(src, part, out, show)
    except KeyboardInterrupt:
        kept = part.stat().st_size if part.exists() else 0
        _say(out, f"\ninterrupted: kept {human_size(kept)} in {part}; "
                  "run the same command again to resume")
        raise
    _verify(src, part, out)
    _install(src, part, target, out)
    part.unlink(missing_ok=True)
    _say(out, f"installed {src.name} in {target}")
    return Installed(target, already=False)


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


# --- fetching --------------------------------------------------------------------------


def _request(url: str, start: int) -> urllib.request.Request:
    headers = {"User-Agent": f"voicecoach/{__version__}"}
    if start:
        headers["Range"] = f"bytes={start}-"
    return urllib.request.Request(url, headers=headers)


def _fetch(src: _Source, part: Path, out: TextIO, show: bool) -> None:
    start = part.stat().st_size if part.exists() else 0
    if src.size is not None and start > src.size:
        part.unlink()
        start = 0
    if src.size is not None and start == src.size:
        _say(out, f"resuming: all {human_size(start)} already in {part}")
        return
    for attempt in range(2):  # a second try only after a 416 with a stale .part
        try:
            with _open(src, start) as response:
                status = response.status
                if start and status == 200:
                    _say(out, "the server does not support resuming; starting over")
                    start = 0
                elif start and status == 206:
                    first = _content_range_start(response.headers.get("Content-Range", ""))
                    if first != start:
                        _say(out, "the server resumed at the wrong place; starting over")
                        response.close()
                        part.unlink(missing_ok=True)
                        start = 0
                        continue
                    _say(out, f"resuming at {human_size(start)}")
                length = response.headers.get("Content-Length")
                total = start + int(length) if length and length.isdigit() else src.size
                _stream(response, part, start, total, out, show)
                return
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the response's socket
            if exc.code == 416 and start and attempt == 0:
                part.unlink(missing_ok=True)  # the .part does not fit this file: start over
                start = 0
                continue
            raise ModelMissingError(f"cannot download {src.name}: {src.url} answered HTTP "
                                    f"{exc.code} {exc.reason}; {by_hand(src.url, src.name)}"
                                    ) from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            kept = part.stat().st_size if part.exists() else 0
            keep_note = (f" ({human_size(kept)} kept in {part.name}: run again to resume)"
                         if kept else "")
            raise ModelMissingError(f"cannot download {src.name} from {src.url}: "
                                    f"{_reason(exc)}{keep_note}; "
                                    f"{by_hand(src.url, src.name)}") from exc
    raise ModelMissingError(f"cannot download {src.name}: the server refused to resume; "
                            f"delete {part} and try again; {by_hand(src.url, src.name)}")


@contextlib.contextmanager
def _open(src: _Source, start: int) -> Iterator[http.client.HTTPResponse]:
    response = urllib.request.urlopen(_request(src.url, start), timeout=TIMEOUT_S)
    try:
        yield response
    finally:
        response.close()


def _content_range_start(value: str) -> int | None:
    match = re.match(r"bytes (\d+)-", value.strip())
    return int(match.group(1)) if match else None


def _reason(exc: BaseException) -> str:
    """urllib nests the interesting part (DNS failure, refused, timed out) in .reason."""
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, OSError) and reason.strerror:
        text = reason.strerror
    else:
        text = str(reason) or type(reason).__name__
    return text.replace("\n", " ")


def _stream(response: http.client.HTTPResponse, part: Path, start: int, total: int | None,
            out: TextIO, show: bool) -> None:
    mode = "ab" if start else "wb"
    done = start
    with _bar(out, total, start, show) as advance, part.open(mode) as sink:
        if not start:
            sink.truncate(0)
        while True:
            chunk = response.read(CHUNK)
            if not chunk:
                break
            sink.write(chunk)
            done += len(chunk)
            advance(len(chunk))
    if total is not None and done < total:
        raise ModelMissingError(f"the download stopped early ({human_size(done)} of "
                                f"{human_size(total)}, kept in {part}): run the same command "
                                "again to resume")


@contextlib.contextmanager
def _bar(out: TextIO, total: int | None, start: int, show: bool) -> Iterator[Callable[[int], None]]:
    """A one-line rich progress bar on `out` (percent, MiB done, speed, time left) while
    the body streams; `show=False` (not a terminal) draws nothing. Yields `advance(n)`."""
    if not show:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskProgressColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(file=out, force_terminal=True, width=80)
    columns = (BarColumn(bar_width=30), TaskProgressColumn(),
               DownloadColumn(binary_units=True), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, refresh_per_second=10) as progress:
        task = progress.add_task("download", total=total, completed=start)
        yield lambda n: progress.advance(task, n)


# --- checking --------------------------------------------------------------------------


def _digests(path: Path) -> tuple[str, str]:
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1024 * 1024):
            md5.update(block)
            sha.update(block)
    return md5.hexdigest(), sha.hexdigest()


def published_md5(name: str, out: TextIO) -> str | None:
    """The md5 Vosk publishes for `name` in model-list.json; None (with a note) if unreachable."""
    list_url = os.environ.get(ENV_MODEL_LIST_URL, MODEL_LIST_URL).strip()
    if not list_url:
        return None
    try:
        with urllib.request.urlopen(_request(list_url, 0), timeout=LIST_TIMEOUT_S) as response:
            entries = json.loads(response.read().decode("utf-8"))
        for entry in entries:
            if isinstance(entry, dict) and entry.get("name") == name:
                md5 = str(entry.get("md5", "")).lower()
                return md5 if re.fullmatch(r"[0-9a-f]{32}", md5) else None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()
        _say(out, f"note: could not read the published md5 list ({_reason(exc)}); "
                  "checking the pinned size and sha256 only")
    return None


def _verify(src: _Source, part: Path, out: TextIO) -> None:
    got_size = part.stat().st_size
    md5, sha256 = _digests(part)
    expected_md5 = src.md5
    if expected_md5 is None and src.known is not None:
        expected_md5 = published_md5(src.name, out)
    problems = []
    if src.size is not None and got_size != src.size:
        problems.append(f"size {got_size} bytes, expected {src.size}")
    if src.sha256 is not None and sha256 != src.sha256.lower():
        problems.append(f"sha256 {sha256}, expected {src.sha256.lower()}")
    if expected_md5 is not None and md5 != expected_md5.lower():
        problems.append(f"md5 {md5}, expected {expected_md5.lower()}")
    if problems:
        part.unlink(missing_ok=True)
        raise ModelMissingError(f"download of {src.name} failed its checksum ("
                                + "; ".join(problems) + f"); deleted {part.name}: try again; "
                                f"{by_hand(src.url, src.name)}")
    checked = [n for n, v in (("size", src.size), ("sha256", src.sha256),
                              ("md5", expected_md5)) if v is not None]
    if checked:
        _say(out, f"checked {', '.join(checked)}: ok")
    else:
        _say(out, f"note: no checksum known for {src.name} (give --md5 to check one); "
                  f"md5 of the download is {md5}")


# --- unpacking -------------------------------------------------------------------------


def _safe_members(archive: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """Every member, after refusing anything that would land outside the unpack folder."""
    members = archive.infolist()
    total = 0
    for info in members:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        mode = info.external_attr >> 16
        if (path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", info.filename)
                or stat.S_ISLNK(mode)):
            raise ModelMissingError(f"refusing to unpack the archive for {name}: member "
                                    f"{info.filename!r} would land outside the model folder")
        total += info.file_size
    if total > MAX_UNPACKED_BYTES:
        raise ModelMissingError(f"refusing to unpack the archive for {name}: it claims "
                                f"{human_size(total)} unpacked")
    return members


def _install(src: _Source, part: Path, target: Path, out: TextIO) -> None:
    models_dir = target.parent
    scratch = Path(tempfile.mkdtemp(prefix=f".{src.name}.unpack-", dir=models_dir))
    try:
        try:
            with zipfile.ZipFile(part) as archive:
                members = _safe_members(archive, src.name)
                _say(out, f"unpacking {len(members)} files")
                for info in members:
                    archive.extract(info, scratch)
        except zipfile.BadZipFile as exc:
            part.unlink(missing_ok=True)
            raise ModelMissingError(f"the download of {src.name} is not a zip archive ({exc}); "
                                    f"deleted it: try again; {by_hand(src.url, src.name)}"
                                    ) from exc
        except OSError as exc:
            raise ModelMissingError(f"cannot unpack {src.name} into {models_dir}: "
                                    f"{exc.strerror or exc}") from exc
        root = _model_root(scratch)
        if root is None:
            children = [p for p in scratch.iterdir() if p.is_dir()]
            problem = layout_problem(children[0] if len(children) == 1 else scratch)
            raise ModelMissingError(f"the archive for {src.name} does not hold a Vosk model "
                                    f"(its folder {problem}); {by_hand(src.url, src.name)}")
        _replace(root, target, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _model_root(scratch: Path) -> Path | None:
    """The archive's model folder: its single top folder, or the archive root itself."""
    if is_vosk_model(scratch):
        return scratch
    children = [p for p in scratch.iterdir() if p.is_dir()]
    if len(children) == 1 and is_vosk_model(children[0]):
        return children[0]
    return None


def _replace(root: Path, target: Path, out: TextIO) -> None:
    """Move the unpacked model into place with one rename; a broken old folder is set aside."""
    old: Path | None = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        _say(out, f"replacing the incomplete {target} ({layout_problem(target)})")
        os.rename(target, old)
    try:
        os.rename(root, target)
    except OSError as exc:
        if old is not None:
            os.rename(old, target)
        raise ModelMissingError(f"cannot move the model into {target}: {exc.strerror or exc}"
                                ) from exc
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


# --- first set-up --------------------------------------------------------------------


def probe(url: str, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when the server at `url` answers at all (any HTTP status) within `timeout`
    seconds, else why not, in a few words.

    A HEAD request through urllib (so a configured proxy is used, as the download will)
    in a daemon thread: a DNS look-up ignores socket time-outs, so only the join bounds
    the wait; a look-up still hanging is left behind in its thread.
    """
    answer: list[str | None] = []

    def attempt() -> None:
        request = _request(url, 0)
        request.method = "HEAD"
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                pass
            answer.append(None)
        except urllib.error.HTTPError as exc:  # it answered: the network is there
            exc.close()
            answer.append(None)
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            answer.append(_reason(exc))

    thread = threading.Thread(target=attempt, name="model-server-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return answer[0] if answer else f"no answer within {timeout:g} s"


def _failed_lately(stamp: Path, url: str, now: float) -> bool:
    """A set-up download of this same URL failed less than RETRY_AFTER_S ago."""
    try:
        age = now - stamp.stat().st_mtime
        return 0 <= age < RETRY_AFTER_S and stamp.read_text(encoding="utf-8").strip() == url
    except OSError:
        return False


def _remember_failure(stamp: Path, url: str) -> None:
    with contextlib.suppress(OSError):  # a read-only data dir only costs a probe next time
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(url + "\n", encoding="utf-8")


def setup_default_model(out: TextIO | None = None, *,
                        probe_timeout: float = PROBE_TIMEOUT_S) -> int:
    """Download the default model on a first set-up, if it can be had; the exit code.

    Says nothing and does nothing when a model is already found (`voicecoach model
    path`), when VOICECOACH_NO_MODEL is set, or within a day of a failed attempt at
    the same URL. Offline: one line, within `probe_timeout` seconds. Any failure
    leaves Pocketsphinx in charge and returns 0, since set-up itself succeeded;
    only Ctrl-C (130) stops it, keeping the partial download for a resume.
    """
    out = out if out is not None else sys.stderr
    try:
        return _setup_default_model(out, probe_timeout)
    except KeyboardInterrupt:  # in the probe, or after download_model said what it kept
        return 130


def _setup_default_model(out: TextIO, probe_timeout: float) -> int:
    if os.environ.get(ENV_NO_MODEL, "").strip() not in ("", "0"):
        return 0
    found, _ = resolve_model(None)
    if found is not None:
        return 0
    src = _resolve_source(None, None, None)
    stamp = user_models_dir() / FAILED_STAMP
    if _failed_lately(stamp, src.url, time.time()):
        return 0
    why_not = probe(src.url, probe_timeout)
    if why_not is not None:
        host = urllib.parse.urlsplit(src.url).hostname or src.url
        _say(out, f"[setup] offline ({host}: {why_not}): no Vosk model downloaded; using "
                  "pocketsphinx (run `voicecoach model download` later)")
        _remember_failure(stamp, src.url)
        return 0
    _say(out, f"[setup] no Vosk model yet: downloading the default one for better "
              f"recognition ({ENV_NO_MODEL}=1 skips this)")
    try:
        download_model(None, out=out)
    except ModelMissingError as exc:
        _say(out, f"[setup] no Vosk model: {exc.message}; using pocketsphinx for now")
        _remember_failure(stamp, src.url)
        return 0
    stamp.unlink(missing_ok=True)
    return 0
