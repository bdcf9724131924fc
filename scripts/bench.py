#!/usr/bin/env python3
"""Run voicecoach's benchmarks in one go and write bench/results.{json,md}.

Usage: .venv/bin/python scripts/bench.py [--quick] [--only SECTION]... [--merge] [--out DIR]

Each section is a module beside this file, `bench_<name>.py`, exposing
`run(quick: bool = False) -> dict` with at least "title", "rows" (a list of
JSON-able dicts) and "markdown" (its part of the report). A missing section is
skipped with a note; a section that raises is reported as failed and the others
still run (exit status 1 then). Numbers are only comparable on the same machine,
so the report starts with the machine and library versions it ran on.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
SECTIONS: tuple[str, ...] = ("speech", "real", "classifier", "enroll", "voice", "e2e", "echo",
                              "log")
"""Run in this order: cheap and independent first, the end-to-end loop after."""
LIBRARIES: tuple[str, ...] = ("vosk", "pocketsphinx", "numpy", "textual", "sounddevice",
                              "pyttsx3", "platformdirs")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def cpu_model() -> str:
    """x86 says `model name`; a Raspberry Pi's kernel says `Model` (the board) instead."""
    info = _read("/proc/cpuinfo")
    for key in ("model name", "Model", "Hardware"):
        match = re.search(rf"^{key}\s*:\s*(.+)$", info, re.MULTILINE)
        if match:
            return match.group(1).strip()
    return platform.processor() or platform.machine()


def ram_gib() -> float | None:
    match = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    return round(int(match.group(1)) / 1024 / 1024, 1) if match else None


def os_name() -> str:
    match = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', _read("/etc/os-release"), re.MULTILINE)
    base = match.group(1) if match else platform.system()
    return f"{base} ({platform.machine()}, kernel {platform.release()})"


def espeak_version() -> str | None:
    exe = shutil.which("espeak-ng")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"text-to-speech:\s*(\S+)", out)
    return match.group(1) if match else out.strip() or None


def board() -> str | None:
    """A Raspberry Pi names itself here ("Raspberry Pi 5 Model B Rev 1.0"); a PC has none."""
    text = _read("/proc/device-tree/model").strip("\x00\n ")
    return text or None


def machine() -> dict[str, Any]:
    return {
        "board": board(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": ram_gib(),
        "os": os_name(),
        "python": platform.python_version(),
    }


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["espeak-ng"] = espeak_version()
    return versions


def load_section(name: str) -> ModuleType | None:
    path = SCRIPTS / f"bench_{name}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run_section(name: str, quick: bool) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        module = load_section(name)
        if module is None:
            note = f"skipped: scripts/bench_{name}.py is not there yet"
            return {"name": name, "status": "missing", "title": name, "rows": [],
                    "markdown": f"_{note}._", "note": note}
        result = dict(module.run(quick=quick))
    except Exception:  # one broken section must not hide the others' numbers
        error = traceback.format_exc()
        print(error, file=sys.stderr)
        last = error.strip().splitlines()[-1]
        return {"name": name, "status": "failed", "title": name, "rows": [], "error": error,
                "markdown": f"**failed**: `{last}` (traceback in results.json)"}
    result.setdefault("title", name)
    result.setdefault("rows", [])
    result.setdefault("markdown", "")
    result.update(name=name, status="ok", seconds=round(time.perf_counter() - started, 1))
    return result


def markdown_report(report: dict[str, Any]) -> str:
    m, libs = report["machine"], report["libraries"]
    lines = [
        "# voicecoach benchmarks",
        "",
        f"Run {report['date']} with `{report['command']}`"
        + (" (quick: fewer repetitions, rougher numbers)" if report["quick"] else "") + ".",
        "",
        f"- Machine: {m['board'] + ', ' if m['board'] else ''}{m['cpu']}, {m['cores']} cores, "
        f"{m['ram_gib']} GiB RAM",
        f"- OS: {m['os']}; Python {m['python']}",
        "- Libraries: " + ", ".join(f"{k} {v or 'not installed'}" for k, v in libs.items()),
        "",
        "Which numbers describe real people: only \"Real speech\", \"Phrase classifier\" and "
        "\"Enrollment\" (recordings "
        "of real speakers, `../shared/speech-corpus`). \"Speech in\" and \"End to end\" use "
        "generated voices (espeak-ng, flite), which flatter a recognizer: they track changes, "
        "they are not accuracy for people.",
        "",
    ]
    for section in report["sections"]:
        lines += [f"## {section['title']}", ""]
        if section.get("date", report["date"]) != report["date"]:
            lines += [f"_Kept from the run of {section['date']} (`--merge`)._", ""]
        lines += [section["markdown"].rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def merged(previous: Path, fresh: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This run's sections, and the earlier run's others, in SECTIONS order."""
    try:
        old = json.loads(previous.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return fresh
    by_name = {s["name"]: {"date": old.get("date"), **s} for s in old.get("sections", [])}
    by_name.update({s["name"]: s for s in fresh})
    rank = {name: i for i, name in enumerate(SECTIONS)}
    return sorted(by_name.values(), key=lambda s: rank.get(s["name"], len(rank)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions: a smoke run in a minute or two")
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, default=REPO / "bench",
                        help="folder for results.json and results.md (default: bench/)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the sections of the existing results.json that this run "
                        "does not redo (each says when it ran)")
    args = parser.parse_args(argv)

    chosen = args.only or list(SECTIONS)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["scripts/bench.py", *(argv if argv is not None else sys.argv[1:])]),
        "quick": args.quick,
        "machine": machine(),
        "libraries": library_versions(),
        "sections": [],
    }
    for name in chosen:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        section = run_section(name, args.quick)
        print(f"[bench] {name}: {section['status']}"
              + (f" in {section['seconds']} s" if "seconds" in section else ""),
              file=sys.stderr, flush=True)
        section["date"] = report["date"]
        report["sections"].append(section)
    if args.merge:
        report["sections"] = merged(args.out / "results.json", report["sections"])

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=2, default=str) + "\n",
                                           encoding="utf-8")
    (args.out / "results.md").write_text(markdown_report(report), encoding="utf-8")
    print(f"[bench] wrote {args.out / 'results.json'} and {args.out / 'results.md'}",
          file=sys.stderr)
    return 1 if any(s["status"] == "failed" for s in report["sections"]) else 0


if __name__ == "__main__":
    sys.exit(main())
