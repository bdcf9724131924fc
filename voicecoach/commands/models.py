"""`voicecoach model download | list | path`: getting a Vosk model and seeing which one is used.

stdout carries results (the listing, the path), so `$(voicecoach model path)`
works in a script; progress, notes and errors go to stderr. Each function
returns the exit code: 0, 1 for a missing model or a failed download, 2 for a
bad argument, 130 after Ctrl-C (the partial download is kept for a resume).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from voicecoach.errors import VoicecoachError
from voicecoach.speech import models
from voicecoach.speech.download import download_model

INTERRUPTED = 130


def download(name: str | None, url: str | None = None, md5: str | None = None) -> int:
    try:
        download_model(name, url=url, md5=md5, out=sys.stderr)
    except VoicecoachError as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        return INTERRUPTED
    return 0


def list_models() -> int:
    """Known models (size, installed where), then any other model folders found."""
    in_use, source = models.resolve_model(None)
    dirs = models.search_dirs()
    found = [(c, src) for folder, src in dirs for c in models.scan_models_dir(folder)]

    click.echo("known models (voicecoach model download NAME):")
    shown: set[Path] = set()
    for known in models.KNOWN_MODELS:
        default = " (default)" if known.name == models.DEFAULT_MODEL else ""
        click.echo(f"  {known.name}{default}  {models.human_size(known.size)}  "
                   f"{known.description}")
        here = [(c, src) for c, src in found if c.path.name == known.name]
        for cand, src in here:
            shown.add(cand.path)
            state = "installed" if cand.problem is None else f"broken: {cand.problem}"
            click.echo(f"      {state}: {cand.path} ({src})")
        if not here:
            click.echo(f"      not installed (would go to {models.user_models_dir() / known.name})")

    others = [(c, src) for c, src in found if c.path not in shown]
    if others:
        click.echo("other model folders:")
        for cand, src in others:
            state = "" if cand.problem is None else f"  broken: {cand.problem}"
            click.echo(f"  {cand.path} ({src}){state}")
    if in_use is not None:
        problem = models.layout_problem(in_use)
        broken = f"; broken: it {problem}" if problem else ""
        click.echo(f"in use: {in_use} (from {source}){broken}")
    else:
        click.echo("in use: none (run `voicecoach model download`)")
    click.echo("searched: " + ", ".join(f"{folder} ({src})" for folder, src in dirs))
    return 0


def path(model: Path | None) -> int:
    """The model folder that would be used (stdout) and which rule chose it (stderr)."""
    try:
        chosen = models.require_model(model)
    except VoicecoachError as exc:
        exc.show()
        return exc.exit_code
    _, source = models.resolve_model(model)
    click.echo(str(chosen))
    click.echo(f"from {_explain(source)}", err=True)
    return 0


def _explain(source: str) -> str:
    return {
        models.FROM_OPTION: "--model",
        models.FROM_ENV: "the VOICECOACH_MODEL environment variable",
        models.FROM_REPO: f"the checkout's models/ folder ({models.repo_models_dir()})",
        models.FROM_USER: f"the user data dir ({models.user_models_dir()})",
    }.get(source, source)
