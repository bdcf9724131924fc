"""The render cache: fixed texts rendered once, on disk, atomically; hits never call the engine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.pulse import PulseLoop
from tests.voice.conftest import SpeakerFactory
from voicecoach.coach.effects import Priority, Say
from voicecoach.voice.audio import read_wav
from voicecoach.voice.cache import RenderCache, default_cache_dir
from voicecoach.voice.engine import EspeakEngine

TEXTS = ("Feet shoulder width apart.", "Sit back and down.", "one", "two")


def test_second_render_is_a_disk_hit(cache_dir: Path) -> None:
    first = RenderCache(EspeakEngine(), cache_dir)
    clip = first.get(TEXTS[0], "en-us", 165)
    assert first.stats.renders == 1
    files = list(cache_dir.glob("*.wav"))
    assert [f.name for f in files] == [first.path(TEXTS[0], "en-us", 165).name]
    assert read_wav(files[0]).seconds == pytest.approx(clip.seconds, abs=0.001)

    second = RenderCache(EspeakEngine(), cache_dir)  # a new process: empty memory
    again = second.get(TEXTS[0], "en-us", 165)
    assert (second.stats.renders, second.stats.disk_hits) == (0, 1)
    assert abs(again.samples - clip.samples).max() < 1 / 16000  # 16-bit round trip
    second.get(TEXTS[0], "en-us", 165)
    assert second.stats.memory_hits == 1


def test_memory_holds_at_most_its_byte_budget_and_disk_serves_the_rest(cache_dir: Path) -> None:
    """New texts every time (a spoken status, a summary) must not grow memory without end."""
    probe = RenderCache(EspeakEngine(), cache_dir)
    size = probe.get(TEXTS[0], "en-us", 165).samples.nbytes
    cache = RenderCache(EspeakEngine(), cache_dir, memory_bytes=int(size * 2.5))
    for n in range(8):
        cache.get(f"Twelve minutes and {n} seconds.", "en-us", 165)
    assert cache._memory_used <= cache.memory_bytes
    assert 1 <= len(cache._memory) < 8
    assert cache._memory_used == sum(c.samples.nbytes for c in cache._memory.values())
    cache.get("Twelve minutes and 0 seconds.", "en-us", 165)  # evicted from memory
    assert cache.stats.disk_hits == 1


def test_a_one_off_text_is_rendered_but_not_kept(cache_dir: Path) -> None:
    cache = RenderCache(EspeakEngine(), cache_dir)
    clip = cache.get("Rep four of eight.", "en-us", 165, keep=False)
    assert clip.seconds > 0.3 and cache.stats.renders == 1
    assert not cache._memory and cache._memory_used == 0
    assert not list(cache_dir.glob("*.wav"))


def test_prune_drops_the_least_recently_used_files_down_to_the_disk_budget(
        cache_dir: Path) -> None:
    cache = RenderCache(EspeakEngine(), cache_dir)
    for n, text in enumerate(TEXTS):
        cache.get(text, "en-us", 165)
        os.utime(cache.path(text, "en-us", 165), (1_000_000 + n, 1_000_000 + n))
    fresh = RenderCache(EspeakEngine(), cache_dir)
    fresh.get(TEXTS[0], "en-us", 165)  # a disk hit marks the oldest file as just used
    sizes = {t: cache.path(t, "en-us", 165).stat().st_size for t in TEXTS}
    fresh.disk_bytes = sizes[TEXTS[0]] + sizes[TEXTS[3]]
    assert fresh.prune() == 2
    assert sorted(p.name for p in cache_dir.glob("*.wav")) == sorted(
        cache.path(t, "en-us", 165).name for t in (TEXTS[0], TEXTS[3]))
    assert fresh.prune() == 0


def test_key_includes_voice_rate_and_engine_version(cache_dir: Path) -> None:
    cache = RenderCache(EspeakEngine(), cache_dir)
    paths = {cache.path("one", "en-us", 165), cache.path("one", "en-us", 200),
             cache.path("one", "en-gb", 165), cache.path("One", "en-us", 165)}
    assert len(paths) == 4
    engine = EspeakEngine()
    engine.__dict__["version"] = "eSpeak NG 9.99"  # what a new espeak-ng would report
    newer = RenderCache(engine, cache_dir)
    assert newer.path("one", "en-us", 165) != cache.path("one", "en-us", 165)


def test_writes_leave_no_temp_files(cache_dir: Path) -> None:
    cache = RenderCache(EspeakEngine(), cache_dir)
    for text in TEXTS:
        cache.get(text, "en-us", 165)
    assert len(list(cache_dir.glob("*.wav"))) == len(TEXTS)
    assert sorted(p.name for p in cache_dir.glob(".*")) == [".espeak-ng.version"]


def test_default_dir_is_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICECOACH_CACHE_DIR", raising=False)
    assert default_cache_dir().parts[-2:] == ("voicecoach", "tts")
    assert str(default_cache_dir()).startswith(os.environ["XDG_CACHE_HOME"])
    monkeypatch.setenv("VOICECOACH_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere" / "tts"


def test_unreadable_file_is_rendered_again(cache_dir: Path) -> None:
    cache = RenderCache(EspeakEngine(), cache_dir)
    path = cache.path("two", "en-us", 165)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF garbage")
    assert cache.get("two", "en-us", 165).seconds > 0.1
    assert cache.stats.renders == 1
    assert read_wav(path).seconds > 0.1


@pytest.mark.audio
def test_prerendered_cues_play_without_espeak(audio_loop: PulseLoop, make_speaker: SpeakerFactory,
                                             cache_dir: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Prerender at load; later the engine is gone, yet cached cues still speak (disk hits)."""
    speaker, _ = make_speaker()
    assert speaker.prerender(TEXTS, 165).result(timeout=20) == len(TEXTS)
    assert speaker.cache.stats.renders == len(TEXTS)
    speaker.close()

    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("espeak-ng") is None
    speaker, events = make_speaker()
    speaker.say(Say(1, TEXTS[1], Priority.CUE, rate=165, awaited=True))
    assert events.wait_end(1)[1] is True
    assert speaker.cache.stats.renders == 0 and speaker.cache.stats.disk_hits == 1
    assert events.warnings() == []


@pytest.mark.audio
def test_the_speaker_keeps_cues_but_not_status_or_summary_texts(
        audio_loop: PulseLoop, make_speaker: SpeakerFactory, cache_dir: Path) -> None:
    """A spoken status is new text every time: kept, an hour's session grew RSS by 20 MB."""
    speaker, events = make_speaker()
    speaker.say(Say(1, "Step two of five, set one of three.", kind="status", awaited=True))
    speaker.say(Say(2, "Well done. Twelve reps.", kind="summary", awaited=True))
    speaker.say(Say(3, TEXTS[1], kind="cue", awaited=True))
    assert events.wait_end(3)[1] is True
    assert [p.name for p in cache_dir.glob("*.wav")] == [
        speaker.cache.path(TEXTS[1], "en-us", 165).name]


@pytest.mark.audio
def test_set_rate_prerenders_again(audio_loop: PulseLoop, make_speaker: SpeakerFactory,
                                   cache_dir: Path) -> None:
    speaker, _ = make_speaker()
    speaker.prerender(TEXTS[:2], 165).result(timeout=20)
    speaker.set_rate(200)
    speaker.prerender([], None).result(timeout=20)  # queued after the re-render: wait for it
    assert speaker.cache.path(TEXTS[0], "en-us", 200).exists()
    assert speaker.cache.path(TEXTS[1], "en-us", 200).exists()


def test_a_fresh_cache_dir_gets_its_version_marker_without_warnings(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The speaker's render threads and `prerender` ask for the version at once on a new cache:
    one marker, written once, and no "cannot write" warning (they used to share a temp name)."""
    import threading

    engine = EspeakEngine()
    assert engine.version  # asked once here, so the threads race on the marker file only
    for attempt in range(5):
        directory = tmp_path / f"fresh{attempt}" / "voicecoach" / "tts"  # none of it exists
        cache = RenderCache(engine, directory)
        start = threading.Barrier(8)
        versions: list[str] = []

        def ask(cache: RenderCache = cache, start: threading.Barrier = start,
                versions: list[str] = versions) -> None:
            start.wait()
            versions.append(cache.engine_version())

        threads = [threading.Thread(target=ask) for _ in range(8)]
        with caplog.at_level("WARNING", logger="voicecoach.voice.cache"):
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert [r.getMessage() for r in caplog.records] == []
        assert versions == [engine.version] * 8
        assert (directory / ".espeak-ng.version").read_text() == engine.version
        assert sorted(p.name for p in directory.iterdir()) == [".espeak-ng.version"]
