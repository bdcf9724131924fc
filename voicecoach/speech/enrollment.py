"""Enrollment: learn one user's voice from their takes, and hear them with it.

What was measured (bench/enroll.md: 5 real Speech Commands speakers, the first
3 takes of each word to learn from, the rest to test): the generic decoder's
final pass (phrases against 1000 garbage words, speech/sphinx.py) turns away many
of a real person's commands, most as "garbage": an ordinary word explained the
sound a little better. Yet its *live* pass, the phrases alone, had the right
phrase for ~90 % of them, and the person's own takes (MFCC templates, DTW) were
nearest to the right phrase about as often. Two weak opinions that agree are a
strong one. So for an enrolled user pocketsphinx decodes with the
unexplained-speech and stretched-word checks off (`ENGINE_OPTIONS`), with an MLLR
transform of the acoustic model when sphinxtrain is installed (speech/adapt.py),
and `Profile.judge` decides with two rules, distances in units of `scale` (the
user's own take-to-take distance):

- decoder: a phrase the decoder accepted stands while its takes are within
  `trust` (1.6) x scale: the decoder is right, and not a fluke of the templates;
- agree: otherwise (rejected, whatever the reason) the decoder's best path, its
  accepted or rejected phrase or else its live pass's phrase, stands when it is
  also the nearest template, within `agree` (1.2) x scale and nearer than the next
  phrase (`agree_ratio`).

Nothing else is accepted: a phrase on the templates alone added no right answer.
A word heard far less clearly above the room than the takes were (`NOISY_MARGIN_DB`: a
fan, music) is far from every take, so there the templates step aside and the decoder
(with the user's MLLR transform) decides with the checks everyone gets.
The user's negatives (room noise, ordinary talk read in their own voice) are then
replayed and lower `trust`/`agree` until none of them is accepted.

The numbers are round and sit on a plateau (bench/enroll.md: trust 1.4-1.8 and
agree 1.1-1.4 all give a median of 89-93 % at <= 1.3 % false accepts), chosen on
the 5 speakers' pooled numbers, not on single clips; chosen on four speakers and
tested on the fifth, the median is 78-94 %, depending on how hard false accepts
weigh in the choice. Measured and dropped: also replaying each take with its own
phrase left out of the grammar as a negative (the earlier fit) cost one speaker
94 -> 78 % for no fewer out-of-grammar false accepts: with short words, the
nearest other word is often a near-rhyme ("on"/"off"). Known confusion: a speaker
whose "one" is their "on" gets "on" (the decoder's "garbage" answer was "one";
the templates cannot tell them apart).

Files: `locations.users_dir()/<user>/` holds `profile.json`, `templates.npz`
and `takes/` (the WAVs and `takes.jsonl`, so an enrollment can be resumed or
re-fitted); `forget` removes the folder.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach import locations
from voicecoach.errors import UsageError, VoicecoachError
from voicecoach.routine.phrases import phrase_key
from voicecoach.speech.base import Recognizer
from voicecoach.speech.hypothesis import Hypothesis
from voicecoach.speech.templates import dtw_distance, features, frame_levels_db, snr_db
from voicecoach.wavfile import write_pcm16

SAMPLE_RATE = 16000
PROFILE_VERSION = 2
"""2: the agree rule reads the decoder's best path, the template-only rule is gone."""
NOISY_MARGIN_DB = 15.0
"""A command whose `snr_db` is this much under the takes' (`Profile.takes_snr_db`) is heard
in a room the templates do not know: the decoder decides with the checks everyone gets.
Measured (bench/enroll.md, white noise at 10 dB): the templates then turned away most of
the user's commands, fewer heard than with no enrollment at all."""
ENGINE_OPTIONS: dict[str, float] = {
    "max_unexplained": 1.0,
    "max_frames_per_phone": 1000.0,
    "max_speech_per_phone": 1000.0,
}
"""PocketsphinxRecognizer kwargs for an enrolled user: the unexplained-speech and
stretched-word checks off (they rejected 40 % of real commands; the templates reject
instead); partial paths and the acoustic gap still reject."""

USER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


class EnrollmentError(VoicecoachError):
    """Enrollment cannot go on (no takes, unknown user...): one line, exit 2."""

    exit_code = 2


def check_user(name: str) -> str:
    if not USER_RE.match(name or ""):
        raise UsageError(
            f"bad user name {name!r}: use 1-32 letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit)"
        )
    return name


def user_dir(user: str) -> Path:
    return locations.users_dir() / check_user(user)


# --- takes -------------------------------------------------------------------


@dataclass(frozen=True)
class Take:
    """One recording: `text` is the phrase said, None for a negative (noise, talk)."""

    pcm: bytes
    text: str | None
    source: str = ""


def take_problem(pcm: bytes, *, min_peak_db: float = -30.0) -> str | None:
    """Why a take of a phrase should be said again, or None when it is usable.

    too quiet: the loudest 10 ms is under `min_peak_db` dBFS (the templates would
    be mostly room); clipped: 0.1 % of samples at full scale; cut off: it is still
    loud in its first or last 50 ms (the word began before or ran past the take).
    """
    x = np.frombuffer(pcm, dtype="<i2")
    db = frame_levels_db(x)
    if db.size < 10:
        return "too short"
    peak = float(db.max())
    if peak < min_peak_db:
        return f"too quiet (peak {peak:.0f} dBFS; speak up or move closer)"
    if np.mean(np.abs(x.astype(np.int32)) >= 32000) > 0.001:
        return "clipped (too loud; move back from the mic or turn its gain down)"
    floor = float(np.percentile(db, 10))
    if peak - floor < 10.0:
        return "no clear word above the room noise"
    edge = max(floor + 10.0, peak - 15.0)
    if db[:5].max() > edge or db[-5:].max() > edge:
        return "cut off (start speaking after the prompt and finish before it ends)"
    return None


def read_takes_file(path: Path) -> list[tuple[Path, str | None]]:
    """TAKES.jsonl: one {"file", "text"} a line; relative files are relative to the list."""
    if not path.is_file():
        raise UsageError(f"{path}: no such takes file")
    out: list[tuple[Path, str | None]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            file = Path(row["file"])
            text = row.get("text")
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(
                f'{path}:{n}: expected {{"file": ..., "text": ... or null}} ({exc})'
            ) from None
        if text is not None and not isinstance(text, str):
            raise UsageError(f"{path}:{n}: text must be a string or null")
        out.append((file if file.is_absolute() else path.parent / file, text))
    if not out:
        raise UsageError(f"{path}: no takes")
    return out


class TakeStore:
    """A user's recorded takes on disk (`takes/NNNN.wav` + `takes.jsonl`), appended as they
    come, so Ctrl-C keeps everything recorded and a later run resumes."""

    def __init__(self, user: str) -> None:
        self.dir = user_dir(user) / "takes"
        self.index = self.dir / "takes.jsonl"

    def rows(self) -> list[dict[str, Any]]:
        if not self.index.is_file():
            return []
        out = []
        for line in self.index.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a line cut by a crash: that take is lost, the rest is fine
        return out

    def add(self, take: Take) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{len(self.rows()):04d}.wav"
        write_wav16(path, take.pcm)
        with open(self.index, "a", encoding="utf-8") as f:
            f.write(json.dumps({"file": path.name, "text": take.text, "source": take.source}))
            f.write("\n")
        return path

    def count(self, text: str | None) -> int:
        key = phrase_key(text) if text else None
        return sum(1 for r in self.rows() if (phrase_key(r["text"]) if r["text"] else None) == key)

    def load(self) -> list[Take]:
        from voicecoach.speech.audio import wav_pcm16k

        out = []
        for r in self.rows():
            path = self.dir / r["file"]
            if path.is_file():
                out.append(Take(wav_pcm16k(path), r["text"], r.get("source", "")))
        return out


def write_wav16(path: Path, pcm: bytes) -> None:
    """16 kHz mono int16, written to a temporary name first (a crash leaves no half file)."""
    tmp = path.with_name(path.name + ".tmp")
    write_pcm16(tmp, pcm, SAMPLE_RATE)
    tmp.replace(path)


# --- the profile ---------------------------------------------------------------


@dataclass
class Profile:
    """One user's templates and thresholds: everything a session needs to hear them."""

    user: str
    templates: dict[str, list[np.ndarray]]
    """phrase key -> feature matrices of the takes."""
    phrases: dict[str, str]
    """phrase key -> the phrase as the user's takes named it."""
    scale: float
    """Median DTW distance between two takes of the same phrase (the user's own spread)."""
    trust: float = 1.6
    """A phrase the decoder accepted stands while its own takes are within trust x scale."""
    agree: float = 1.2
    """The decoder's best path stands when it is the nearest template within agree x scale,"""
    agree_ratio: float = 0.95
    """... and that distance is at most agree_ratio x the next phrase's."""
    alone: float = 1.0
    """A phrase the user did not enroll is refused when the sound is within alone x scale of
    an enrolled phrase (it is that phrase, said by this user)."""
    engine_options: dict[str, float] = field(default_factory=lambda: dict(ENGINE_OPTIONS))
    mllr: str | None = None
    """File name (in the user's folder) of the MLLR transform, when adaptation ran."""
    noise_floor_db: float | None = None
    takes_snr_db: float | None = None
    """How far the user's takes stood above their room (10th percentile of `snr_db`). A
    command heard NOISY_MARGIN_DB less clear than that is judged as for anyone (see
    `EnrolledRecognizer`); None (a profile fitted before this): never."""
    created: float = 0.0
    fit_s: float = 0.0
    n_takes: int = 0
    n_negatives: int = 0
    notes: list[str] = field(default_factory=list)

    def engine_kwargs(self) -> dict[str, Any]:
        """PocketsphinxRecognizer kwargs for this user: thresholds, and the MLLR transform."""
        kwargs: dict[str, Any] = dict(self.engine_options)
        if self.mllr:
            kwargs["options"] = {"mllr": str(user_dir(self.user) / self.mllr)}
        return kwargs

    def distances(self, feats: np.ndarray, keys: Sequence[str] | None = None) -> dict[str, float]:
        """Phrase key -> distance to its nearest take (templates far longer or shorter
        than the utterance are skipped: a 0.3 s word is not a 2 s phrase)."""
        out: dict[str, float] = {}
        n = feats.shape[0]
        for key in keys if keys is not None else list(self.templates):
            best = np.inf
            for t in self.templates.get(key, []):
                if n == 0 or not 0.4 <= t.shape[0] / n <= 2.5:
                    continue
                best = min(best, dtw_distance(feats, t))
            if np.isfinite(best):
                out[key] = float(best)
        return out

    def judge(
        self, feats: np.ndarray, heard: str, keys: Sequence[str] | None = None, path: str = ""
    ) -> tuple[str, float, str]:
        """(phrase key or "", confidence, how) for one utterance the decoder called `heard`
        ("" when it rejected it); `path` is its best path even so (a rejected phrase, or its
        live pass's). See the module docstring for the rule."""
        heard_key = phrase_key(heard) if heard else ""
        pool = keys if keys is not None else list(self.templates)
        candidates = [k for k in pool if k in self.templates]
        if heard_key and heard_key not in self.templates:
            # A phrase the user did not enroll: the decoder decides, unless the sound is
            # clearly one of the enrolled phrases (then it is not this one).
            d = self.distances(feats, candidates)
            if d and min(d.values()) <= self.alone * self.scale:
                return "", 0.0, "template-says-other"
            return heard_key, 0.5, "not-enrolled"
        if heard_key in candidates:
            # The common case first, and cheaply: only the heard phrase's own takes (a
            # session's grammar has dozens of enrolled phrases; DTW costs ~1 ms each).
            own = self.distances(feats, [heard_key]).get(heard_key)
            if own is not None and own / self.scale <= self.trust:
                sure = float(np.clip(1.0 - 0.5 * own / self.scale / self.trust, 0.5, 0.99))
                return heard_key, sure, "decoder"
        best_path = heard_key or (phrase_key(path) if path else "")
        if best_path not in candidates:
            return "", 0.0, "no-path" if not best_path else "no-template"
        # The best path's own distance first: most rejected sounds (noise, talk) are far
        # from it, and then no other phrase's takes need be compared (~1 ms each).
        dist = self.distances(feats, [best_path]).get(best_path)
        if dist is None or dist / self.scale > self.agree:
            return "", 0.0, "template-reject"
        for key in candidates:
            if key == best_path:
                continue
            other = self.distances(feats, [key]).get(key)
            if other is not None and dist > self.agree_ratio * other:
                return "", 0.0, "template-reject"
        rel = dist / self.scale
        return best_path, float(np.clip(1.0 - 0.5 * rel / self.agree, 0.5, 0.99)), "agree"

    # --- disk ---------------------------------------------------------------

    def save(self) -> None:
        folder = user_dir(self.user)
        folder.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        index: list[list[object]] = []
        for key, mats in self.templates.items():
            for m in mats:
                name = f"t{len(arrays)}"
                arrays[name] = m
                index.append([name, key])
        tmp = folder / "templates.npz.tmp"
        with open(tmp, "wb") as f:
            np.savez_compressed(f, allow_pickle=False, **arrays)
        tmp.replace(folder / "templates.npz")
        meta = {
            "version": PROFILE_VERSION,
            "user": self.user,
            "phrases": self.phrases,
            "index": index,
            "scale": self.scale,
            "trust": self.trust,
            "agree": self.agree,
            "agree_ratio": self.agree_ratio,
            "alone": self.alone,
            "engine_options": self.engine_options,
            "mllr": self.mllr,
            "noise_floor_db": self.noise_floor_db,
            "takes_snr_db": self.takes_snr_db,
            "created": self.created,
            "fit_s": self.fit_s,
            "n_takes": self.n_takes,
            "n_negatives": self.n_negatives,
            "notes": self.notes,
        }
        tmp_json = folder / "profile.json.tmp"
        tmp_json.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        tmp_json.replace(folder / "profile.json")


def load_profile(user: str) -> Profile:
    """The user's saved enrollment; a clear error when there is none."""
    folder = user_dir(user)
    try:
        meta = json.loads((folder / "profile.json").read_text(encoding="utf-8"))
        with np.load(folder / "templates.npz") as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise EnrollmentError(
            f"user {user!r} is not enrolled (voicecoach enroll --user {user}; "
            "voicecoach enroll --list shows who is)"
        ) from None
    except (ValueError, OSError) as exc:
        raise EnrollmentError(
            f"{folder}: enrollment files unreadable ({exc}); enroll again or "
            f"voicecoach enroll --forget {user}"
        ) from None
    if meta.get("version") != PROFILE_VERSION:
        raise EnrollmentError(
            f"{folder}: enrollment from another version; run `voicecoach enroll --user {user}` "
            "again (the takes are kept: it only re-fits)"
        )
    templates: dict[str, list[np.ndarray]] = {}
    for name, key in meta["index"]:
        templates.setdefault(str(key), []).append(arrays[str(name)])
    return Profile(
        user=meta["user"],
        templates=templates,
        phrases=dict(meta["phrases"]),
        scale=float(meta["scale"]),
        trust=float(meta.get("trust", 1.6)),
        agree=float(meta["agree"]),
        agree_ratio=float(meta["agree_ratio"]),
        alone=float(meta["alone"]),
        engine_options={k: float(v) for k, v in meta["engine_options"].items()},
        mllr=meta.get("mllr"),
        noise_floor_db=meta.get("noise_floor_db"),
        takes_snr_db=meta.get("takes_snr_db"),
        created=float(meta.get("created", 0.0)),
        fit_s=float(meta.get("fit_s", 0.0)),
        n_takes=int(meta.get("n_takes", 0)),
        n_negatives=int(meta.get("n_negatives", 0)),
        notes=list(meta.get("notes", [])),
    )


def list_users() -> list[str]:
    root = locations.users_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and USER_RE.match(p.name))


def forget(user: str) -> list[Path]:
    """Remove every file of the user's enrollment (takes included); returns what went."""
    folder = user_dir(user)
    if not folder.exists():
        raise EnrollmentError(f"user {user!r} is not enrolled; nothing to forget")
    gone = sorted(p for p in folder.rglob("*") if p.is_file())
    shutil.rmtree(folder)
    return gone


# --- fitting ---------------------------------------------------------------------


@dataclass
class FitReport:
    profile: Profile
    lines: list[str]
    skipped: list[str]


def fit(
    user: str,
    takes: Sequence[Take],
    *,
    make_inner: Callable[[dict[str, Any]], Recognizer] | None = None,
    phrases: Sequence[str] = (),
    adapt: bool = False,
) -> FitReport:
    """Takes in, a saved-ready Profile out: the one code path after capture (mic or --from).

    `make_inner(engine kwargs)` builds the decoder used to replay the negatives (so the
    thresholds are lowered against what this user's room and talk actually produce);
    without it, the negatives are only counted. `adapt`: also learn an MLLR transform
    (pocketsphinx only; speech/adapt.py), or note why it could not.
    """
    started = time.perf_counter()
    skipped: list[str] = []
    templates: dict[str, list[np.ndarray]] = {}
    names: dict[str, str] = {}
    negatives: list[Take] = []
    for take in takes:
        if take.text is None:
            negatives.append(take)
            continue
        key = phrase_key(take.text)
        if not key:
            skipped.append(f"{take.source or 'a take'}: empty text")
            continue
        problem = take_problem(take.pcm)
        if problem:
            skipped.append(f"{take.source or take.text}: {problem}")
            continue
        templates.setdefault(key, []).append(features(take.pcm))
        names.setdefault(key, " ".join(take.text.lower().split()))
    loo = [
        min(dtw_distance(m, o) for j, o in enumerate(mats) if j != i)
        for mats in templates.values()
        if len(mats) >= 2
        for i, m in enumerate(mats)
    ]
    if not loo:
        raise EnrollmentError(
            "enrollment needs at least two usable takes of one phrase "
            f"(got {sum(len(v) for v in templates.values())} usable takes"
            + (f"; skipped: {'; '.join(skipped[:3])}" if skipped else "")
            + ")"
        )
    profile = Profile(
        user=check_user(user),
        templates=templates,
        phrases=names,
        scale=float(np.median(loo)),
        created=time.time(),
        n_takes=sum(len(v) for v in templates.values()),
        n_negatives=len(negatives),
    )
    single = [names[k] for k, v in templates.items() if len(v) < 2]
    if single:
        profile.notes.append(f"one take only: {', '.join(single)}")
    lines = [
        f"{profile.n_takes} takes of {len(templates)} phrases; own spread {profile.scale:.1f}"
    ]
    if adapt:
        from voicecoach.speech.adapt import AdaptationUnavailable, mllr_adapt

        positives = [(t.pcm, t.text) for t in takes if t.text is not None]
        try:
            mllr_adapt(positives, user_dir(user) / "mllr_matrix")
            profile.mllr = "mllr_matrix"
            lines.append("acoustic model adapted to this voice (MLLR)")
        except AdaptationUnavailable as exc:
            profile.notes.append(f"no MLLR adaptation: {exc}; templates and thresholds only")
    clear = [snr_db(np.frombuffer(t.pcm, "<i2")) for t in takes
             if t.text is not None and phrase_key(t.text) in templates]
    if clear:
        profile.takes_snr_db = float(np.percentile(clear, 10))
    noise = [t for t in negatives if t.source.startswith("room")]
    if noise:
        profile.noise_floor_db = float(
            np.median(np.concatenate([frame_levels_db(np.frombuffer(t.pcm, "<i2")) for t in noise]))
        )
    if make_inner is not None:
        grammar = list(phrases) or list(names.values())
        rec = EnrolledRecognizer(make_inner(profile.engine_kwargs()), profile)
        # The negatives (room, talk) against the whole grammar must all be rejected.
        # Measured and dropped: the takes themselves as negatives, each with its own
        # phrase left out of the grammar (see the module docstring).
        first = _refit(profile, rec, [t.pcm for t in negatives], grammar)
        lines.append(
            f"{len(negatives)} negatives replayed: {first} accepted before the re-fit; "
            f"thresholds now trust {profile.trust:.2f}, agree {profile.agree:.2f}"
        )
        rec.close()
    else:
        lines.append(f"{len(negatives)} negatives kept (no decoder to replay them)")
    profile.fit_s = time.perf_counter() - started
    lines.append(f"fitted in {profile.fit_s:.1f} s")
    return FitReport(profile, lines, skipped)


def _refit(profile: Profile, rec: EnrolledRecognizer, negatives: Sequence[bytes],
           grammar: Sequence[str], passes: int = 3) -> int:
    """Lower the threshold of whichever rule accepted a negative until none is accepted
    (a few passes: a lower `trust` may hand a negative to `agree`), never below the
    floors of `_tighten`; returns the first pass's count of accepted negatives."""
    rec.set_phrases(list(grammar))
    todo = list(negatives)
    first = -1
    for _ in range(passes):
        accepted = []
        for pcm in todo:
            hit = False
            for hyp, feats in rec.decode_with_features(pcm):
                if not hyp.text or feats is None:
                    continue
                d = profile.distances(feats).get(phrase_key(hyp.text))
                if d is not None:
                    _tighten(profile, rec.last_how, d / profile.scale)
                    hit = True
            if hit:
                accepted.append(pcm)
        if first < 0:
            first = len(accepted)
        todo = accepted
        if not todo:
            break
    return max(first, 0)


def _tighten(profile: Profile, how: str, rel: float) -> None:
    """Floors: a negative that is closer than this to the user's own takes is too like
    them to refuse without refusing the user (the room's echo of a command...)."""
    cut = 0.97 * rel
    if how == "decoder":
        profile.trust = max(0.8, min(profile.trust, cut))
    elif how == "agree":
        profile.agree = max(1.0, min(profile.agree, cut))


# --- hearing with it ---------------------------------------------------------------


class EnrolledRecognizer(Recognizer):
    """Any recognizer, second-checked by one user's templates (see the module docstring).

    It keeps the last `keep_s` of audio so that each finished utterance (the inner
    recognizer's start_s/end_s) can be compared with the takes, and the inner
    recognizer's last partial result of the utterance: its live best path, which the
    `agree` rule reads when the final answer was a rejection.
    """

    def __init__(self, inner: Recognizer, profile: Profile, keep_s: float = 10.0) -> None:
        self.inner = inner
        self.profile = profile
        self.name = inner.name
        self.choice = inner.choice
        self._keep = int(keep_s * SAMPLE_RATE)
        self._buf = np.zeros(0, np.int16)
        self._buf_start = 0
        """Stream sample index of _buf[0]."""
        self._fed = 0
        self._active: dict[str, str] = {}
        self.last_features: np.ndarray | None = None
        self.last_how = ""
        """Which rule decided the last utterance (`Profile.judge`)."""
        self._live = ""
        """The inner recognizer's last non-empty partial result in this utterance."""

    def __getattr__(self, name: str) -> Any:
        # Engine extras (skipped_phrases, stream_s, vad...) are the inner recognizer's.
        return getattr(self.__dict__["inner"], name)

    def set_phrases(
        self, phrases: Sequence[str], meanings: Mapping[str, str] | None = None
    ) -> None:
        self.inner.set_phrases(phrases, meanings)
        self._active = {phrase_key(p): p for p in phrases if phrase_key(p)}

    def accept(self, pcm: bytes) -> list[Hypothesis]:
        x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
        self._remember(x)
        out = [self._judge(h) for h in self.inner.accept(pcm)]
        if out:
            self._live = ""
        if self.inner.in_speech:
            # Read after every chunk: an utterance that ends inside the next chunk is
            # judged with the path as it stood just before (<= one chunk earlier).
            self._live = self.inner.partial() or self._live
        return out

    def flush(self) -> list[Hypothesis]:
        out = [self._judge(h) for h in self.inner.flush()]
        self._live = ""
        return out

    def partial(self) -> str:
        return self.inner.partial()

    @property
    def in_speech(self) -> bool:
        return self.inner.in_speech

    def reset(self) -> None:
        self.inner.reset()
        self._live = ""

    def new_stream(self) -> None:
        """A new recording: the inner engine forgets the last one (where it can), and the
        kept audio follows the inner engine's clock, which may start again at zero."""
        fresh = getattr(self.inner, "new_stream", None)
        if fresh is None:
            self.inner.reset()
        else:
            fresh()
        clock = getattr(self.inner, "stream_s", None)
        end = self._buf_start + self._buf.size
        self._live = ""
        self._buf = np.zeros(0, np.int16)
        self._buf_start = round(clock * SAMPLE_RATE) if isinstance(clock, float) else end

    def close(self) -> None:
        self.inner.close()

    def room_audible(self, audible: bool) -> None:
        self.inner.room_audible(audible)

    def decode_with_features(self, pcm: bytes, pad_s: float = 0.3) -> list[tuple[Hypothesis, Any]]:
        """Decode one recording (with silence around it) as a mic would feed it."""
        pad = b"\0\0" * int(pad_s * SAMPLE_RATE)
        data = pad + pcm + pad
        self.reset()
        out = []
        for i in range(0, len(data), 1600):
            for h in self.accept(data[i : i + 1600]):
                out.append((h, self.last_features))
        for h in self.flush():
            out.append((h, self.last_features))
        return out

    def _remember(self, x: np.ndarray) -> None:
        self._buf = np.concatenate([self._buf, x])
        self._fed += x.size
        if self._buf.size > self._keep:
            cut = self._buf.size - self._keep
            self._buf = self._buf[cut:]
            self._buf_start += cut

    def _utterance(self, hyp: Hypothesis, lead_s: float = 0.0) -> np.ndarray:
        a = int((hyp.start_s - lead_s) * SAMPLE_RATE) - self._buf_start
        b = int((hyp.end_s + 0.15) * SAMPLE_RATE) - self._buf_start
        return self._buf[max(0, a) : max(0, b)]

    def _judge(self, hyp: Hypothesis) -> Hypothesis:
        audio = self._utterance(hyp)
        if audio.size < 1600:
            self.last_features = None
            self.last_how = ""
            return hyp
        feats = features(audio)
        self.last_features = feats
        if self._noisy(hyp):
            return self._judge_for_anyone(hyp)
        keys = list(self._active) or None
        # The best path: the phrase the final pass found (kept in `raw` when a check
        # rejected it), else the live pass's phrase (the final pass preferred a garbage word).
        raw = phrase_key(hyp.raw) if hyp.raw else ""
        path = raw if raw in self._active else self._live
        key, confidence, how = self.profile.judge(feats, hyp.text, keys, path)
        self.last_how = how
        if not key:
            return _replace(hyp, text="", confidence=hyp.confidence, reason=how or hyp.reason)
        if how == "not-enrolled":
            return hyp
        text = " ".join(self._active.get(key, self.profile.phrases.get(key, key)).lower().split())
        return _replace(hyp, text=text, confidence=max(confidence, hyp.confidence), reason="")

    def _noisy(self, hyp: Hypothesis) -> bool:
        """The room is far louder, against the command, than it was around the takes."""
        if self.profile.takes_snr_db is None:
            return False
        heard = self._utterance(hyp, lead_s=0.3)
        return snr_db(heard) < self.profile.takes_snr_db - NOISY_MARGIN_DB

    def _judge_for_anyone(self, hyp: Hypothesis) -> Hypothesis:
        """The decoder's answer under the generic checks (the engine's `generic_reason`);
        an engine without them keeps its own answer."""
        generic = getattr(self.inner, "generic_reason", None)
        reason = generic() if generic is not None else ""
        self.last_how = "noisy-room"
        if not hyp.text or reason is None:
            return hyp
        if reason:
            return _replace(hyp, text="", confidence=hyp.confidence, reason=reason)
        return hyp


def _replace(hyp: Hypothesis, **changes: Any) -> Hypothesis:
    from dataclasses import replace

    raw = hyp.raw or hyp.text
    return replace(hyp, raw=raw, **changes)


def enrolled_recognizer(
    user: str, make_inner: Callable[[dict[str, Any]], Recognizer]
) -> EnrolledRecognizer:
    """The user's profile loaded (<= 0.5 s: a few hundred small arrays) around a new decoder."""
    profile = load_profile(user)
    return EnrolledRecognizer(make_inner(profile.engine_kwargs()), profile)
