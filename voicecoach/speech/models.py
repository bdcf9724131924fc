"""Which Vosk model folder to use, whether it is whole, and loading it without surprises.

Why this is its own module: Vosk's C++ loader trusts the folder it is given. On a
missing or half-unpacked folder it prints Kaldi errors to stderr and, for some
missing files (an absent `graph/Gr.fst` is read as a null FST), can crash the
process. So every folder passes `layout_problem()` before `vosk.Model()` sees it,
and every failure becomes one `ModelMissingError` line that says what to download
and where to put it.

Resolution order (first match wins; `resolve_model` says which rule matched):
1. `--model PATH` (an explicit folder: used as given, never silently replaced);
2. the `VOICECOACH_MODEL` environment variable (same);
3. the source checkout's `models/` folder, when it exists;
4. the user data dir's `models/` (`voicecoach.locations.models_dir()`, where
   `voicecoach model download` unpacks; `VOICECOACH_MODELS_DIR` moves it).
Inside a models folder the default model wins, then the other known models, then
any other valid model folder by name.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voicecoach import locations
from voicecoach.errors import EngineUnavailableError, ModelMissingError

if TYPE_CHECKING:  # vosk is imported only when a model is actually loaded
    import vosk


@dataclass(frozen=True)
class KnownModel:
    """An official Vosk model that `voicecoach model download NAME` can fetch."""

    name: str
    """Also the folder name it is unpacked to, and the archive's top folder."""
    url: str
    size: int
    """Bytes of the zip archive."""
    sha256: str | None
    """Hex digest of the zip archive (pinned here; stronger than md5)."""
    md5: str | None
    """Hex digest as published in Vosk's model-list.json; None: looked up at download time."""
    description: str


DEFAULT_MODEL = "vosk-model-small-en-us-0.15"

KNOWN_MODELS: tuple[KnownModel, ...] = (
    # Size and sha256 of the archive: the Git LFS pointer of Rhasspy's byte-for-byte
    # mirror (huggingface.co/rhasspy/vosk-models, en/vosk-model-small-en-us-0.15.zip:
    # size 41205931) agrees with the size in Vosk's own model-list.json and with the
    # sha256 several independent projects pin. The md5 from model-list.json could not
    # be found offline, so download.py fetches that list and checks the md5 as well
    # when the list can be reached.
    KnownModel(
        name=DEFAULT_MODEL,
        url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
        size=41_205_931,
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        md5=None,
        description="US English, small (Raspberry Pi, grammar-capable)",
    ),
)

MODEL_LIST_URL = "https://alphacephei.com/vosk/models/model-list.json"

# Where a model came from, as `resolve_model` reports it.
FROM_OPTION = "--model"
FROM_ENV = locations.ENV_MODEL
FROM_REPO = "repo models/"
FROM_USER = "user data dir"
NOT_FOUND = "not found"


def known_model(name: str) -> KnownModel | None:
    return next((m for m in KNOWN_MODELS if m.name == name), None)


def default_model() -> KnownModel:
    model = known_model(DEFAULT_MODEL)
    assert model is not None
    return model


def human_size(n: int) -> str:
    """39.3 MiB: how Vosk's model list writes sizes, so they can be compared by eye."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


# --- layout --------------------------------------------------------------------------


def _usable_file(path: Path) -> bool:
    """A regular, non-empty file: a FIFO or device would make Kaldi's reader block forever."""
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False


def layout_problem(folder: Path) -> str | None:
    """What keeps `folder` from loading as a Vosk model, or None if its layout is complete.

    Mirrors what Vosk's `Model::ConfigureV1/V2` and `ReadDataFiles` open: the
    "V2" layout (`am/`, `conf/`, `graph/`) of every current model, and the older
    flat "V1" layout. Only presence is checked; a corrupt file is left to
    `load_vosk_model`, which turns Vosk's refusal into our error.
    """
    if not folder.exists():
        return "does not exist"
    if not folder.is_dir():
        return "is not a folder"
    if (folder / "am" / "final.mdl").exists():
        am, conf, graph = folder / "am", folder / "conf", folder / "graph"
        needed = [am / "final.mdl", conf / "model.conf", conf / "mfcc.conf"]
    elif (folder / "final.mdl").exists():
        conf = graph = folder
        needed = [folder / "final.mdl", folder / "mfcc.conf"]
    else:
        return "has no am/final.mdl (not a Vosk model folder)"
    if (graph / "HCLG.fst").exists():
        needed.append(graph / "HCLG.fst")
    elif (graph / "HCLr.fst").exists() or (graph / "Gr.fst").exists():
        needed += [graph / "HCLr.fst", graph / "Gr.fst", graph / "disambig_tid.int"]
    else:
        return f"has no {_rel(graph / 'HCLG.fst', folder)} or {_rel(graph / 'HCLr.fst', folder)}"
    ivector = folder / "ivector"
    if (ivector / "final.ie").exists():
        needed += [ivector / n for n in ("final.ie", "final.mat", "global_cmvn.stats",
                                         "final.dubm", "splice.conf", "online_cmvn.conf")]
    if (folder / "rescore" / "G.carpa").exists():
        needed += [folder / "rescore" / "G.carpa", folder / "rescore" / "G.fst"]
    missing = [_rel(p, folder) for p in needed if not _usable_file(p)]
    if missing:
        return "is missing " + ", ".join(missing) + " (incomplete or damaged)"
    return None


def _rel(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def is_vosk_model(folder: Path) -> bool:
    return layout_problem(folder) is None


# --- finding models ------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A folder in a models dir that looks like it was meant to be a model."""

    path: Path
    problem: str | None
    """None when the layout is complete."""


def _rank(path: Path) -> tuple[int, str]:
    names = [m.name for m in KNOWN_MODELS]
    known = names.index(path.name) if path.name in names else len(names)
    return (0 if path.name == DEFAULT_MODEL else 1 + known, path.name)


def scan_models_dir(folder: Path) -> list[Candidate]:
    """Model folders in `folder`, best first (the folder itself counts if it is a model).

    Hidden entries are skipped: `voicecoach model download` unpacks into a hidden
    temp folder beside the target, and a half-unpacked folder is not a candidate.
    """
    if not folder.is_dir():
        return []
    found: list[Candidate] = []
    if is_vosk_model(folder):
        found.append(Candidate(folder, None))
    try:
        children = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return found
    for child in sorted(children, key=_rank):
        problem = layout_problem(child)
        looks_meant = (problem is None or child.name.startswith("vosk-model")
                       or (child / "am").is_dir() or (child / "conf").is_dir())
        if looks_meant:
            found.append(Candidate(child, problem))
    return found


def repo_models_dir() -> Path | None:
    """The checkout's `models/` (for developers and hand-unpacked models), when it exists."""
    folder = locations.REPO_ROOT / "models"
    return folder if folder.is_dir() else None


def user_models_dir() -> Path:
    """Where `voicecoach model download` unpacks models."""
    return locations.models_dir()


def search_dirs() -> list[tuple[Path, str]]:
    """The models folders searched after `--model` and the env variable, in order."""
    dirs: list[tuple[Path, str]] = []
    repo = repo_models_dir()
    if repo is not None:
        dirs.append((repo, FROM_REPO))
    dirs.append((user_models_dir(), FROM_USER))
    return dirs


def _env_model() -> Path | None:
    value = os.environ.get(locations.ENV_MODEL, "").strip()
    return Path(value).expanduser() if value else None


def resolve_model(explicit: Path | None) -> tuple[Path | None, str]:
    """The model folder to use and which rule chose it (`FROM_*`), or (None, NOT_FOUND).

    An explicit folder (`--model`, `VOICECOACH_MODEL`) is returned even when it is
    broken: the user named it, so falling back to another model would hide their
    mistake. `require_model` checks it.
    """
    if explicit is not None:
        return Path(explicit).expanduser(), FROM_OPTION
    env = _env_model()
    if env is not None:
        return env, FROM_ENV
    for folder, source in search_dirs():
        for candidate in scan_models_dir(folder):
            if candidate.problem is None:
                return candidate.path, source
    return None, NOT_FOUND


def how_to_get_model() -> str:
    """The fix, in one clause: what to download and where to put it."""
    model = default_model()
    return (f"run `voicecoach model download`, or download {model.url} and unpack it into "
            f"{user_models_dir()}/ (so {user_models_dir() / model.name / 'am' / 'final.mdl'} "
            "exists)")


def require_model(explicit: Path | None) -> Path:
    """A model folder whose layout is complete, or a one-line `ModelMissingError`."""
    path, source = resolve_model(explicit)
    if path is None:
        broken = [c for d, _ in search_dirs() for c in scan_models_dir(d) if c.problem]
        if broken:
            raise ModelMissingError(f"no usable Vosk model: {broken[0].path} "
                                    f"{broken[0].problem}; {how_to_get_model()}")
        raise ModelMissingError(f"no Vosk model found; {how_to_get_model()}")
    problem = layout_problem(path)
    if problem is not None:
        hint = _inner_model_hint(path)
        raise ModelMissingError(f"Vosk model {path} (from {source}) {problem}{hint}; "
                                f"{how_to_get_model()}")
    return path


def _inner_model_hint(path: Path) -> str:
    """A models folder given where a model folder was expected: name the model inside."""
    inner = [c.path for c in scan_models_dir(path) if c.problem is None and c.path != path]
    return f" (did you mean {inner[0]}?)" if inner else ""


# --- loading -------------------------------------------------------------------------

_STDERR_LOCK = threading.Lock()
_KALDI_ERROR = re.compile(r"^(?:ERROR|ASSERTION_FAILED) \(.*?:\d+\) (.*)$", re.MULTILINE)


def _printable(text: str, limit: int = 120) -> str:
    """Kaldi quotes file bytes in its errors; keep the message one short, clean line."""
    clean = "".join(c if c.isascii() and c.isprintable() else "?" for c in text.strip())
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


@contextmanager
def _captured_fd2() -> Iterator[list[str]]:
    """Collect what C++ code writes to fd 2 (Kaldi ignores SetLogLevel for errors).

    Not for use while a TUI draws on stderr: the screen would freeze for the load.
    """
    lines: list[str] = []
    with _STDERR_LOCK, tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())


def load_vosk_model(path: Path, *, capture_stderr: bool = True) -> vosk.Model:
    """Load a Vosk model, or raise `ModelMissingError` in one line; never a crash or a hang.

    The layout is checked first because Vosk's loader can crash on a missing file.
    With `capture_stderr` (the default) Kaldi's own error lines are kept off the
    terminal and the last one is put in our message; pass False when a TUI owns stderr.
    """
    path = Path(path).expanduser()
    problem = layout_problem(path)
    if problem is not None:
        raise ModelMissingError(f"Vosk model {path} {problem}; {how_to_get_model()}")
    try:
        import vosk
    except Exception as exc:  # ImportError, or OSError when libvosk.so cannot load
        raise EngineUnavailableError(f"the vosk library cannot be loaded: {exc}") from exc
    vosk.SetLogLevel(-1)
    detail = ""
    try:
        if capture_stderr:
            with _captured_fd2() as lines:
                try:
                    return vosk.Model(str(path))
                except Exception:
                    pass  # leave the capture first, so the error lines are read
            errors = _KALDI_ERROR.findall("\n".join(lines))
            detail = f": {_printable(errors[-1])}" if errors else ""
        else:
            return vosk.Model(str(path))
    except Exception as exc:
        detail = f": {exc}"
    raise ModelMissingError(f"Vosk could not load the model in {path} (damaged or not a "
                            f"Vosk model{detail}); {how_to_get_model()}")
