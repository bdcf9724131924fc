"""Finding routines by name or path: built-in ones and the user's own.

Built-in routines live in the repo's top-level `routines/`; the package sees
them as `voicecoach/_routines` (a symlink in the checkout, real files in a
built wheel), so the same lookup works from a clone and from an install. User
routines live in `~/.config/voicecoach/routines/`; a user file with a built-in's
name wins, so "copy squat.toml there and edit it" is the whole customisation story.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voicecoach import locations
from voicecoach.errors import RoutineError

BUILTIN = "built-in"
USER = "user"

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def builtin_dir() -> Path:
    """The shipped routines: package data when installed, the checkout's `routines/` otherwise."""
    packaged = _PACKAGE_DIR / "_routines"
    if packaged.is_dir():
        return packaged.resolve()  # the checkout's symlink -> `routines/`, for shorter paths
    return _PACKAGE_DIR.parent / "routines"


def user_dir() -> Path:
    return locations.user_routines_dir()


@dataclass(frozen=True)
class CatalogEntry:
    """A routine file the catalog knows by name."""

    name: str
    """The file's stem: what `voicecoach run NAME` takes."""
    path: Path
    source: str
    """`built-in` or `user`."""
    shadows: Path | None = None
    """The built-in file this user routine hides, if any."""


def _toml_files(folder: Path) -> dict[str, Path]:
    try:
        files = sorted(p for p in folder.glob("*.toml") if p.is_file())
    except OSError:  # an unreadable config dir must not break `run squat`
        return {}
    return {p.stem: p for p in files}


def catalog() -> list[CatalogEntry]:
    """Every routine by name, user ones winning over built-ins, sorted by name."""
    builtin = _toml_files(builtin_dir())
    user = _toml_files(user_dir())
    entries = {name: CatalogEntry(name, path, BUILTIN) for name, path in builtin.items()}
    for name, path in user.items():
        entries[name] = CatalogEntry(name, path, USER, shadows=builtin.get(name))
    return [entries[name] for name in sorted(entries)]


def looks_like_path(name_or_path: str | Path) -> bool:
    """A Path, anything with a separator, or a `.toml` name is a path; a bare word is a name."""
    if isinstance(name_or_path, Path):
        return True
    return "/" in name_or_path or "\\" in name_or_path or name_or_path.endswith(".toml")


def find_routine(name_or_path: str | Path) -> Path:
    """The file for a routine name or path; `RoutineError` naming the known routines if none."""
    if looks_like_path(name_or_path):
        return Path(name_or_path).expanduser()
    by_name = {entry.name: entry.path for entry in catalog()}
    if name_or_path in by_name:
        return by_name[name_or_path]
    if name_or_path and Path(name_or_path).is_file():  # a file without .toml, in this folder
        return Path(name_or_path)
    known = ", ".join(sorted(by_name)) or "none"
    raise RoutineError(
        f"no routine named {name_or_path!r}; known routines: {known} "
        f"(or give a path to a .toml file; your own go in {user_dir()})"
    )
