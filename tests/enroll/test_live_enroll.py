"""The guided enrollment over a real audio loop (PulseAudio null sink, tests/support/pulse.py).

A real speaker's recorded takes are played into the sink when the enrollment
starts listening, as a person answering the prompt would; the enrollment
records them from the sink's monitor with the real MicSource. The prompts are
not spoken (speak is silent here: the coach's voice is covered by the session
e2e tests, and the enrollment drains the mic after every prompt anyway).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.enroll.test_enroll import ENROLL, SPEAKER, takes_of
from tests.support.pulse import PulseLoop, audio_loop  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.audio,
    pytest.mark.timeout(180),
    pytest.mark.skipif(not (ENROLL / "manifest.jsonl").is_file(),
                       reason=f"{ENROLL} is absent (the shared real-speech corpus)"),
]

WORDS = ("yes", "no", "up")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VOICECOACH_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _loop_samples(path: Path, gain: float = 1.0) -> np.ndarray:
    from voicecoach.speech.audio import wav_pcm16k
    from voicecoach.voice.audio import resample

    x = np.frombuffer(wav_pcm16k(path), dtype="<i2").astype(np.float32) / 32768.0
    return np.asarray(resample(x * gain, 16000, 48000), dtype=np.float32)


def _person(loop: PulseLoop, files: dict[str, list[Path]],
            gain: Callable[[str, int, int], float] = lambda w, n, attempt: 1.0,
            ) -> tuple[Callable[[object, int], None], list[threading.Thread]]:
    """on_listen: answer the prompt by playing the speaker's take of that word."""
    attempts: dict[tuple[str, int], int] = {}
    threads: list[threading.Thread] = []

    def on_listen(prompt: object, n: int) -> None:
        word = prompt.text  # type: ignore[attr-defined]
        if word is None:
            return  # room noise: the person stays quiet
        attempt = attempts.get((word, n), 0)
        attempts[(word, n)] = attempt + 1
        samples = _loop_samples(files[word][n], gain(word, n, attempt))

        def play() -> None:
            time.sleep(0.3)  # a person's reaction time
            loop.play(samples)

        t = threading.Thread(target=play, daemon=True)
        t.start()
        threads.append(t)

    return on_listen, threads


def _files() -> dict[str, list[Path]]:
    train, _ = takes_of(SPEAKER)
    out: dict[str, list[Path]] = {}
    for r in train:
        if r["text"] in WORDS:
            out.setdefault(str(r["text"]), []).append(Path(str(r["file"])))
    return out


def _session(loop: PulseLoop, on_listen: Callable[[object, int], None],
             lines: list[str]) -> object:
    from voicecoach.commands.enroll import TONE, LiveEnrollment, Prompt
    from voicecoach.speech.audio import MicSource

    prompts = [Prompt(w, 2, f"Say: {w}", again=TONE) for w in WORDS]
    # What the coach would say is noted (the voice itself: the test below and the session's).
    return LiveEnrollment("ann", prompts, MicSource(loop.device),
                          speak=lambda text: lines.append(f"spoken: {text}"),
                          show=lines.append, on_listen=on_listen)


@pytest.fixture
def loop(audio_loop: PulseLoop) -> Iterator[PulseLoop]:  # noqa: F811
    yield audio_loop


def test_live_enrollment_records_checks_and_fits(loop: PulseLoop, data_dir: Path) -> None:
    from voicecoach.commands.enroll import fit_user

    files = _files()
    # The first try of "no" comes in 40 dB too quiet: it must be asked for again, with why.
    on_listen, threads = _person(
        loop, files, gain=lambda w, n, attempt: 0.01 if (w, n, attempt) == ("no", 0, 0) else 1.0)
    lines: list[str] = []
    session = _session(loop, on_listen, lines)
    session.run()  # type: ignore[attr-defined]
    for t in threads:
        t.join(5)
    assert any("again: too quiet" in line for line in lines), lines
    spoken = [line.split(": ", 1)[1] for line in lines if line.startswith("spoken: ")]
    # The phrase is prompted in full once, then a blip asks for the next take; a re-ask
    # prompts in full again.
    assert spoken == ["Say: yes", "(tone)", "Say: no", "Once more, too quiet.", "Say: no",
                      "(tone)", "Say: up", "(tone)"], spoken
    assert session.reasked == ["no: " + session.reasked[0].split(": ", 1)[1]]  # type: ignore[attr-defined]
    rows = session.store.rows()  # type: ignore[attr-defined]
    said = sorted(r["text"] for r in rows if r["text"])
    assert said == sorted(w for w in WORDS for _ in range(2))
    # The quiet around the takes is kept as room noise (one take: less than GAP_TAKE_S).
    assert [r["source"] for r in rows if r["text"] is None] == ["room gaps"]
    report = fit_user("ann", routine=str(Path(__file__).parent / "words.toml"),
                      engine="pocketsphinx")
    assert report.profile.n_takes == 6 and not report.skipped
    assert (data_dir / "users" / "ann" / "profile.json").is_file()

    # `enroll --from` with the same takes (the WAVs the mic run stored) gives the same profile.
    from voicecoach.commands.enroll import from_file
    from voicecoach.speech.enrollment import load_profile

    listing = data_dir / "same.jsonl"
    listing.write_text("".join(
        json.dumps({"file": str(session.store.dir / r["file"]), "text": r["text"]}) + "\n"
        for r in rows))
    assert from_file("bob", listing, routine=str(Path(__file__).parent / "words.toml"),
                     engine="pocketsphinx") == 0
    ann, bob = load_profile("ann"), load_profile("bob")
    assert ann.scale == bob.scale and ann.phrases == bob.phrases
    assert (ann.trust, ann.agree, ann.alone) == (bob.trust, bob.agree, bob.alone)
    for key, mats in ann.templates.items():
        assert all(np.array_equal(a, b) for a, b in zip(mats, bob.templates[key], strict=True))


def test_ctrl_c_keeps_the_takes_and_a_second_run_resumes(loop: PulseLoop, data_dir: Path) -> None:
    files = _files()
    answer, threads = _person(loop, files)
    calls = {"n": 0}

    def interrupting(prompt: object, n: int) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # the person presses Ctrl-C while "no" take 2 is asked
        answer(prompt, n)

    lines: list[str] = []
    first = _session(loop, interrupting, lines)
    with pytest.raises(KeyboardInterrupt):
        first.run()  # type: ignore[attr-defined]
    for t in threads:
        t.join(5)
    kept = first.store.rows()  # type: ignore[attr-defined]
    # The takes, and the room noise gathered around them so far (kept too).
    assert [r["text"] for r in kept] == ["yes", "yes", "no", None]
    assert kept[-1]["source"] == "room gaps"
    second = _session(loop, answer, lines)
    todo = [(p.text, n) for p, n in second.remaining()]  # type: ignore[attr-defined]
    assert todo == [("no", 1), ("up", 0), ("up", 1)]
    second.run()  # type: ignore[attr-defined]
    for t in threads:
        t.join(5)
    assert len([r for r in second.store.rows() if r["text"]]) == 6  # type: ignore[attr-defined]
    assert any(line.startswith("resuming: 3 takes") for line in lines)


def test_the_coach_voice_prompt_is_not_part_of_the_take(loop: PulseLoop, data_dir: Path) -> None:
    """The prompt is spoken into the same loop the mic hears (as a speaker in a room):
    the take must hold the person's word only, so it is not cut off and no re-ask."""
    from voicecoach.commands.enroll import TONE, LiveEnrollment, Prompt, _speaker
    from voicecoach.speech.audio import MicSource
    from voicecoach.speech.enrollment import take_problem

    on_listen, threads = _person(loop, _files())
    lines: list[str] = []
    prompts = [Prompt("yes", 2, "Say: yes", again=TONE), Prompt("no", 1, "Say: no")]
    session = LiveEnrollment("ann", prompts,
                             MicSource(loop.device), speak=_speaker(loop.device, None, None, False),
                             show=lines.append, on_listen=on_listen)
    session.run()
    for t in threads:
        t.join(5)
    assert session.reasked == [], lines
    stored = session.store.load()
    takes = [t for t in stored if t.text is not None]
    assert [t.text for t in takes] == ["yes", "yes", "no"]  # the blip is not a take either
    # The room noise cut from around the takes holds neither the coach nor the words.
    from voicecoach.commands.enroll_live import _peak_db

    room = [t for t in stored if t.text is None]
    assert [t.source for t in room] == ["room gaps"] and _peak_db(room[0].pcm) < -50
    assert all(take_problem(t.pcm) is None for t in takes)
    assert all(len(t.pcm) / 32000 < 2.0 for t in takes)  # the word and a little room, no prompt


def test_room_noise_comes_from_the_quiet_around_the_takes(loop: PulseLoop, data_dir: Path) -> None:
    """Only what the takes' quiet leaves short of the room noise asked for is recorded."""
    from voicecoach.commands.enroll import TONE, LiveEnrollment, Prompt
    from voicecoach.speech.audio import MicSource

    on_listen, threads = _person(loop, _files())
    spoken: list[str] = []
    lines: list[str] = []
    prompts = [Prompt(w, 2, f"Say: {w}", again=TONE) for w in ("yes", "no")]
    session = LiveEnrollment("ann", [*prompts, Prompt(None, 1, "Stay quiet", 8.0, "room")],
                             MicSource(loop.device), speak=spoken.append, show=lines.append,
                             on_listen=on_listen)
    session.run()
    for t in threads:
        t.join(5)
    rows = session.store.rows()
    gaps = [r for r in rows if r["source"] == "room gaps"]
    asked = [r for r in rows if r["source"] == "room"]
    assert len(gaps) == 1 and len(asked) == 1, rows
    assert 7.9 <= session.room_s() < 10.0, session.room_s()
    said = spoken[-1]
    assert said.startswith("Now stay quiet, please, for ") and said != "Stay quiet", spoken
    assert int(said.split("for ")[1].split()[0]) < 8  # less than all of it

    # Asked for no more than the takes' quiet holds: nothing more is recorded.
    again = LiveEnrollment("ann", [Prompt(None, 1, "Stay quiet", 1.5, "room")],
                           MicSource(loop.device), speak=spoken.append, show=lines.append)
    assert list(again.remaining()) == []
