"""Pocketsphinx's live pass taken up again after the final pass ran ahead (`_resume`).

pocketsphinx 5.1.1 segfaults on a streaming block longer than the frame buffer that the last
whole-utterance pass sized. `_resume` once fed the utterance so far as one block, and with
the echo canceller on (long utterances of leftover with many short pauses) the listen thread
crashed the process. A crash cannot be caught, so this runs in a child process: a 5.69 s
final pass, then 30 ms more audio and the live pass taken up again, which crashed every time.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pocketsphinx")

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import numpy as np
    from voicecoach.routine import load_routine
    from voicecoach.coach.intents import all_phrases, phrase_meanings
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    routine = load_routine("squat")
    rec = PocketsphinxRecognizer()
    rec.set_phrases(all_phrases(routine), phrase_meanings(routine, None))
    noise = (np.random.default_rng(0).standard_normal(91520) * 2000).astype("<i2").tobytes()
    rec._begin()
    for i in range(0, 2 * 91040, 640):  # 20 ms pieces, as the mic's frames come
        rec._feed(noise[i:min(i + 640, 2 * 91040)])
    rec._speculate()  # the final pass, on all of it so far
    rec._feed(noise[2 * 91040:])  # speech again before the early end
    rec._resume()
    rec._finish()
    print("ok")
""")


def test_taking_the_live_pass_up_again_after_a_long_final_pass_does_not_crash() -> None:
    run = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
