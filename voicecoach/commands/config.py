"""`voicecoach config`: the merged settings, where each came from, and where files live."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import click

from voicecoach import locations
from voicecoach.config import DEFAULT, Config, load_config, merge, setting_names, template

_UNSET_MEANS = {
    "model": "(first installed model)",
    "mic": "(system default)",
    "speaker": "(system default)",
    "voice": "(engine default)",
    "rate": "(routine's rate)",
    "beeps": "(routine's setting)",
}


def _shown(key: str, value: object) -> str:
    if value is None:
        return _UNSET_MEANS.get(key, "(unset)")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def main(as_json: bool = False, show_path: bool = False, init: bool = False,
         flags: Mapping[str, object] | None = None) -> int:
    """Print the merged config; `flags` are `run`'s flags, to preview their effect."""
    path = locations.config_file()
    if show_path:
        click.echo(str(path))
        return 0
    if init:
        return _init(path)

    # A ConfigError propagates: the CLI prints it and exits 2.
    config, _sources = merge(load_config(), flags or {})
    if as_json:
        click.echo(json.dumps({
            "config_file": str(path),
            "config_file_exists": path.is_file(),
            "values": config.as_dict(),
            "sources": {key: config.source(key) for key in setting_names()},
            "locations": {name: str(p) for name, p in locations.all_locations().items()},
        }, indent=2))
        return 0

    state = ("" if path.is_file()
             else "  (not found: defaults in use; `voicecoach config --init` writes one)")
    click.echo(f"config file: {path}{state}")
    click.echo("")
    _table(config)
    click.echo("")
    click.echo("Flags given to `voicecoach run` override these (`voicecoach config --engine vosk`"
               " previews one).")
    click.echo("")
    click.echo("locations:")
    places = locations.all_locations()
    width = max(len(name) for name in places)
    for name, place in places.items():
        click.echo(f"  {name:<{width}}  {place}")
    return 0


def _table(config: Config) -> None:
    rows = [(key, _shown(key, getattr(config, key)), config.source(key)) for key in setting_names()]
    key_w = max(len(r[0]) for r in rows)
    val_w = max(len(r[1]) for r in rows)
    for key, value, source in rows:
        where = source if source != DEFAULT else "default"
        click.echo(f"  {key:<{key_w}}  {value:<{val_w}}  {where}")


def _init(path: Path) -> int:
    if path.exists():
        click.echo(f"{path} already exists; not overwriting it.", err=True)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template() + "\n", encoding="utf-8")
    click.echo(f"wrote {path}")
    return 0
