"""`voicecoach doctor` on a recording, and the MLLR step of enrollment (speech/adapt.py).

doctor reads a generated "next" (espeak-ng: here only to have a known word to
check the report's wiring, not to measure accuracy). The MLLR test runs the real
sphinxtrain tools on a real speaker's takes; it skips, saying why, when they or
the shared corpus are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.enroll.test_enroll import ENROLL, REPO, SPEAKER, takes_of


def test_doctor_reports_level_engine_and_what_it_heard(tmp_path: Path) -> None:
    from tests.support.clips import clip_path

    wav = clip_path("next")
    env = dict(os.environ, VOICECOACH_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "voicecoach", "doctor", "--engine",
                          "pocketsphinx", "--input-file", str(wav)],
                         capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    lines = out.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "engine", "model", "enrollment", "mic", "level", "heard"], out.stdout + out.stderr
    assert "pocketsphinx" in lines[0]
    assert "peak" in lines[4] and "noise floor" in lines[4]
    assert out.returncode in (0, 1)
    assert ("next" in lines[5]) == (out.returncode == 0)


def test_doctor_with_an_unknown_user_says_so(tmp_path: Path) -> None:
    from tests.support.clips import clip_path

    env = dict(os.environ, VOICECOACH_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "voicecoach", "doctor", "--engine",
                          "pocketsphinx", "--user", "nobody", "--input-file",
                          str(clip_path("next"))],
                         capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
    assert "enrollment:  user 'nobody' is not enrolled" in out.stdout
    assert out.returncode == 1 and "Traceback" not in out.stderr


def test_sendump_expands_to_normalised_mixture_weights(tmp_path: Path) -> None:
    from voicecoach.speech.adapt import sendump_to_mixture_weights
    from voicecoach.speech.sphinx import model_dir

    shape = sendump_to_mixture_weights(model_dir() / "en-us" / "en-us" / "sendump",
                                       tmp_path / "mixture_weights")
    assert shape == (5126, 3, 128)  # senones x streams x codewords of the en-us PTM model
    raw = (tmp_path / "mixture_weights").read_bytes()
    data = np.frombuffer(raw[raw.index(b"endhdr\n") + 7 + 4 + 16:], dtype="<f4")
    weights = data.reshape(shape)
    assert np.allclose(weights.sum(axis=2), 1.0, atol=1e-4)


@pytest.mark.skipif(not (ENROLL / "manifest.jsonl").is_file(),
                    reason=f"{ENROLL} is absent (the shared real-speech corpus)")
@pytest.mark.skipif(not (shutil.which("pocketsphinx_mdef_convert")
                         and Path("/usr/lib/sphinxtrain/bw").is_file()),
                    reason="sphinxtrain/pocketsphinx tools not installed (scripts/setup.sh)")
def test_mllr_transform_from_real_takes_loads_in_the_decoder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voicecoach.speech.adapt import mllr_adapt
    from voicecoach.speech.audio import wav_pcm16k
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    monkeypatch.setenv("VOICECOACH_CACHE_DIR", str(tmp_path / "cache"))
    train, test = takes_of(SPEAKER)
    takes = [(wav_pcm16k(Path(str(r["file"]))), str(r["text"])) for r in train]
    out = mllr_adapt(takes, tmp_path / "mllr_matrix")
    assert out.read_text().split()[:3] == ["1", "3", "13"]  # one class, 3 streams of 13
    rec = PocketsphinxRecognizer(options={"mllr": str(out)})
    rec.set_phrases(["yes", "no", "up"])
    rec.accept(wav_pcm16k(test[0]))
    rec.flush()


def test_doctor_on_a_fan_and_on_music(tmp_path: Path) -> None:
    from tests.support import clips

    env = dict(os.environ, VOICECOACH_DATA_DIR=str(tmp_path))
    voice = ("flite:slt", 0) if clips.have_flite() else ("en-us", 150)
    speech = clips.pad(clips.speak("next", *voice), 2.0, 1.5)
    out = {}
    for noise, denoiser in (("white", "auto"), ("white", "webrtc"), ("white", "rnnoise"),
                            ("music", "auto")):
        wav = clips.write_wav(tmp_path / f"{noise}.wav", clips.mix_snr(speech, noise, 10, 3))
        run = subprocess.run([sys.executable, "-m", "voicecoach", "doctor", "--engine",
                              "pocketsphinx", "--input-file", str(wav), "--denoiser", denoiser],
                             capture_output=True, text=True, env=env, timeout=60, cwd=REPO)
        out[noise, denoiser] = run.stdout
    # The default: says the room is a fan's, and checks "heard" as a session would hear it.
    assert "noise:       steady noise" in out["white", "auto"]
    assert "auto denoiser takes RNNoise" in out["white", "auto"]
    assert "heard:       next" in out["white", "auto"]
    # WebRTC chosen by hand: the advice to change it (WebRTC loses "next" to this fan).
    assert "--denoiser auto or rnnoise" in out["white", "webrtc"]
    # RNNoise chosen already: nothing to advise.
    assert "noise:" not in out["white", "rnnoise"]
    assert "heard:       next" in out["white", "rnnoise"]
    assert "noise:" not in out["music", "auto"]
