"""MLLR: adapt pocketsphinx's English acoustic model to one user, with CMU's sphinxtrain.

The documented CMU recipe (bw collects statistics of the user's takes aligned
to their known words; mllr_solve turns them into one global mean transform;
the decoder loads it with its `mllr` setting), with two gaps filled:

- the model in the pocketsphinx wheel stores its mixture weights only as
  `sendump` (8-bit, for speed); bw needs a `mixture_weights` file, so
  `sendump_to_mixture_weights` expands it (the format of sphinxtrain's own
  python/cmusphinx/sendump.py reader, written out as a Sphinx-3 float file);
- its `mdef` is binary; bw reads text, which `pocketsphinx_mdef_convert`
  (Debian package `pocketsphinx`) writes.

Features are logged by the decoder itself (`mfclogdir`) rather than computed
here, so the transform is learnt on exactly the cepstra it will be applied to.
The converted model is cached once per machine (cache dir); a user's transform
is one small text file in their folder. Where a tool is missing, `mllr_adapt`
says which and enrollment goes on with templates and thresholds alone.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from voicecoach import locations

SPHINXTRAIN_DIRS = (Path("/usr/lib/sphinxtrain"), Path("/usr/local/lib/sphinxtrain"),
                    Path("/usr/libexec/sphinxtrain"))
TIMEOUT_S = 60.0


class AdaptationUnavailable(Exception):
    """Why MLLR could not run here (a missing tool, a failing step): one line."""


def _tool(name: str) -> Path:
    for d in SPHINXTRAIN_DIRS:
        if (d / name).is_file():
            return d / name
    found = shutil.which(name)
    if found:
        return Path(found)
    raise AdaptationUnavailable(f"sphinxtrain's {name} is not installed (apt-get install "
                                "sphinxtrain; scripts/setup.sh does it)")


def _model() -> tuple[Path, Path]:
    """(acoustic model folder, dictionary) of the pocketsphinx wheel."""
    from voicecoach.speech.sphinx import model_dir

    root = model_dir() / "en-us"
    return root / "en-us", root / "cmudict-en-us.dict"


# --- the model, made trainable (once) -----------------------------------------------


def sendump_to_mixture_weights(sendump: Path, out: Path) -> tuple[int, int, int]:
    """Expand a quantized `sendump` into a Sphinx-3 `mixture_weights` file; returns its shape."""
    with open(sendump, "rb") as f:
        order = ["<I"]

        def count(raw: bytes) -> int:
            n = int(struct.unpack(order[0], raw)[0])
            if n > 65536:  # the other byte order
                order[0] = ">I"
                n = int(struct.unpack(order[0], raw)[0])
            return n

        def string() -> str | None:
            n = count(f.read(4))
            return None if n == 0 else f.read(n)[:-1].decode("ascii", "replace")

        string()  # title
        header: dict[str, int] = {}
        while (line := string()) is not None:
            parts = line.split()
            if len(parts) == 2 and parts[1].lstrip("-").isdigit():
                header[parts[0]] = int(parts[1])
        shift = header.get("mixw_shift", 10)
        features = header.get("feature_count", 1)
        codewords = header.get("model_count", 0)
        senones = header.get("mixture_count", 0)
        if header.get("cluster_count", 0) == 0:
            codewords = count(f.read(4))
            senones = count(f.read(4))
        weights = np.empty((senones, features, codewords), np.float64)
        for i in range(features):
            for j in range(codewords):
                raw = np.frombuffer(f.read(senones), dtype=np.uint8).astype(np.float64)
                weights[:, i, j] = np.power(1.0001, -(raw * (1 << shift)))
    weights /= weights.sum(axis=2, keepdims=True)
    with open(out, "wb") as g:
        g.write(b"s3\nversion 1.0\n")
        pad = (g.tell() + len(b"endhdr\n")) & 3
        g.write((b" " * (4 - pad) if pad else b"") + b"endhdr\n")
        g.write(struct.pack("=i", 0x11223344))
        g.write(struct.pack("=IIII", senones, features, codewords, weights.size))
        weights.astype("<f4").tofile(g)
    return senones, features, codewords


def trainable_model() -> Path:
    """The wheel's model with `mixture_weights` and a text `mdef`, cached under the cache dir."""
    hmm, _ = _model()
    target = locations.cache_dir() / "adapt" / "en-us"
    if (target / "mdef.txt").is_file() and (target / "mixture_weights").is_file():
        return target
    convert = shutil.which("pocketsphinx_mdef_convert")
    if convert is None:
        raise AdaptationUnavailable("pocketsphinx_mdef_convert is not installed (apt-get install "
                                    "pocketsphinx; scripts/setup.sh does it)")
    tmp = Path(tempfile.mkdtemp(prefix="en-us.", dir=_mkdir(target.parent)))
    for name in ("means", "variances", "transition_matrices", "feat.params", "noisedict"):
        shutil.copy2(hmm / name, tmp / name)
    sendump_to_mixture_weights(hmm / "sendump", tmp / "mixture_weights")
    _run([convert, "-text", str(hmm / "mdef"), str(tmp / "mdef.txt")], "mdef conversion")
    if target.exists():
        shutil.rmtree(target)
    tmp.replace(target)
    return target


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def _run(cmd: Sequence[str], what: str, cwd: Path | None = None) -> None:
    try:
        done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=TIMEOUT_S,
                              cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AdaptationUnavailable(f"{what} failed: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise AdaptationUnavailable(f"{what} failed: {last[0][:200]}")


# --- one user ------------------------------------------------------------------------


def _log_features(takes: Sequence[tuple[bytes, str]], folder: Path) -> None:
    """Decode each take once with `mfclogdir`: the decoder writes 000000000.mfc, ..."""
    import pocketsphinx as ps

    from voicecoach.speech.sphinx import INITIAL_CMN

    hmm, _ = _model()
    config = ps.Config()
    config["hmm"] = str(hmm)
    config["dict"] = os.devnull
    config["lm"] = None
    config["loglevel"] = "FATAL"
    config["mfclogdir"] = str(folder)
    decoder = ps.Decoder(config)
    decoder.set_cmn(INITIAL_CMN)
    decoder.add_word("a", "AH", True)
    decoder.add_jsgf_string("one", "#JSGF V1.0; grammar one; public <a> = a;")
    decoder.activate_search("one")
    rng = np.random.default_rng(12345)
    pad = np.zeros(4800)
    for pcm, _ in takes:
        x = np.concatenate([pad, np.frombuffer(pcm, dtype="<i2").astype(np.float64), pad])
        x += rng.standard_normal(x.size) * 65.0  # the decoder's own dither (-54 dBFS)
        decoder.start_utt()
        decoder.process_raw(np.clip(x, -32768, 32767).astype("<i2").tobytes(), False, True)
        decoder.end_utt()


def mllr_adapt(takes: Sequence[tuple[bytes, str]], out: Path) -> Path:
    """The user's takes (audio, words) -> an MLLR transform at `out`; AdaptationUnavailable
    says why not. About 3 s for 30 one-word takes here."""
    from voicecoach.speech.sphinx import pronunciations

    bw, solve = _tool("bw"), _tool("mllr_solve")
    model = trainable_model()
    _, dict_path = _model()
    words = {w for _, text in takes for w in text.lower().split()}
    prons = pronunciations(dict_path, words)
    usable = [(pcm, text.lower()) for pcm, text in takes
              if all(w in prons for w in text.lower().split())]
    if len(usable) < 5:
        raise AdaptationUnavailable("fewer than 5 takes with words in the dictionary")
    with tempfile.TemporaryDirectory(prefix="vc-mllr-") as tmpdir:
        work = Path(tmpdir)
        _log_features(usable, _mkdir(work / "mfc"))
        with open(work / "dict", "w", encoding="utf-8") as f:
            for word in sorted(prons):
                for i, phones in enumerate(prons[word]):
                    f.write(f"{word if i == 0 else f'{word}({i + 1})'} {phones}\n")
        (work / "ctl").write_text("".join(f"{i:09d}\n" for i in range(len(usable))))
        (work / "trn").write_text(
            "".join(f"<s> {text} </s> ({i:09d})\n" for i, (_, text) in enumerate(usable)))
        _mkdir(work / "acc")
        _run([str(bw), "-hmmdir", str(model), "-moddeffn", str(model / "mdef.txt"),
              "-ts2cbfn", ".ptm.", "-feat", "1s_c_d_dd", "-svspec", "0-12/13-25/26-38",
              "-cmn", "batch", "-agc", "none", "-dictfn", "dict",
              "-fdictfn", str(model / "noisedict"), "-ctlfn", "ctl", "-lsnfn", "trn",
              "-cepdir", "mfc", "-accumdir", "acc"], "bw (statistics of the takes)", cwd=work)
        _run([str(solve), "-meanfn", str(model / "means"), "-varfn", str(model / "variances"),
              "-outmllrfn", "mllr_matrix", "-accumdir", "acc"], "mllr_solve", cwd=work)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        shutil.copyfile(work / "mllr_matrix", tmp)
        tmp.replace(out)
    return out
