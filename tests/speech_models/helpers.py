"""Fake Vosk model folders and archives, and a local HTTP server that serves them.

The real model (vosk-model-small-en-us-0.15, 40 MB) cannot be downloaded on the
test machine (no internet), so the archives here have the real Vosk folder layout
with FAKE contents: random bytes where `am/final.mdl` and the FSTs would be. They
exercise everything up to `vosk.Model()` itself; a real model, when one is
installed, is loaded by `test_vosk_loading.py`.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import random
import re
import stat
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# name in the model folder -> fake contents
FAKE_FILES: dict[str, bytes] = {
    "am/final.mdl": b"FAKE acoustic model " + random.Random(1).randbytes(150_000),
    "conf/model.conf": b"--min-active=200\n--max-active=3000\n--beam=10.0\n",
    "conf/mfcc.conf": b"--sample-frequency=16000\n--use-energy=false\n",
    "graph/HCLr.fst": b"FAKE HCLr " + random.Random(2).randbytes(120_000),
    "graph/Gr.fst": b"FAKE Gr " + random.Random(3).randbytes(60_000),
    "graph/disambig_tid.int": b"1\n2\n3\n",
    "graph/phones/word_boundary.int": b"1 nonword\n2 begin\n",
    "README": b"FAKE model for voicecoach tests: the layout is Vosk's, the bytes are not.\n",
}


def make_model_dir(folder: Path, files: dict[str, bytes] | None = None) -> Path:
    """A folder with the Vosk "V2" layout (fake contents)."""
    for rel, data in (FAKE_FILES if files is None else files).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def make_model_zip(top: str | None = "vosk-model-fake-0.1",
                   extra: dict[str, bytes] | None = None) -> bytes:
    """A zip like Vosk's: one top folder holding the model (fake contents)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for rel, data in {**FAKE_FILES, **(extra or {})}.items():
            archive.writestr(f"{top}/{rel}" if top else rel, data)
    return buffer.getvalue()


def zip_with_member(name: str, data: bytes = b"x", symlink: bool = False) -> bytes:
    """A model zip plus one hostile member (path traversal or a symlink)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for rel, content in FAKE_FILES.items():
            archive.writestr(f"vosk-model-fake-0.1/{rel}", content)
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, data)
    return buffer.getvalue()


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FileServer:
    """What the test server serves and how it misbehaves; it records what it was asked."""

    files: dict[str, bytes] = field(default_factory=dict)
    ignore_range: bool = False
    cut_after: int | None = None
    """Send the full Content-Length but close the connection after this many body bytes."""
    stall_after: int | None = None
    """Send this many body bytes, then wait (until `release` is set) before closing."""
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    """(path, Range header) per request."""
    body_bytes_sent: int = 0
    base_url: str = ""

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server_state: FileServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        state = self.server_state
        wanted = self.headers.get("Range")
        state.requests.append((self.path, wanted))
        data = state.files.get(self.path)
        if data is None:
            self.send_error(404, "Not Found")
            return
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", wanted or "")
        if match and not state.ignore_range:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "none" if state.ignore_range else "bytes")
        self.end_headers()
        limit = state.cut_after if state.cut_after is not None else state.stall_after
        if limit is not None and limit < len(body):
            self.wfile.write(body[:limit])
            self.wfile.flush()
            state.body_bytes_sent += limit
            if state.stall_after is not None:
                state.release.wait(timeout=20)
            self.close_connection = True
            return
        self.wfile.write(body)
        state.body_bytes_sent += len(body)


@contextmanager
def serve(state: FileServer) -> Iterator[FileServer]:
    """An HTTP server on 127.0.0.1 (a free port) in a thread, stopped on exit."""
    handler = type("Handler", (_Handler,), {"server_state": state})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
