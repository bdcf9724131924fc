"""The dictionary as it was before extra.dict gave words the wheel has more pronunciations.

Shared by tests/speech/test_real_corpus.py (what the "stop" variants buy) and
scripts/bench_real.py (its "today" baseline, before issue 12)."""

from __future__ import annotations

from pathlib import Path


def one_pronunciation_each(source: Path, dest: Path) -> Path:
    """Write `source` (a CMU-format extra dictionary) to `dest` without its "word(N)" lines."""
    lines = source.read_text(encoding="utf-8").splitlines(True)
    dest.write_text("".join(line for line in lines if "(" not in line.split(" ", 1)[0]),
                    encoding="utf-8")
    return dest
