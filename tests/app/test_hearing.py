"""The end-of-session hearing note: when it speaks up, and what it suggests."""

from __future__ import annotations

from voicecoach.shell.hearing import HearingTally, hearing_note


def test_silent_below_four_misses_or_under_a_third() -> None:
    assert hearing_note(HearingTally(understood=0, missed=3), "pocketsphinx", None) is None
    assert hearing_note(HearingTally(understood=20, missed=5), "pocketsphinx", None) is None


def test_suggests_enrolling_a_new_voice() -> None:
    note = hearing_note(HearingTally(understood=6, missed=4), "pocketsphinx", None)
    assert note == ("heard you 6 of 10 times; voicecoach enroll --user NAME teaches it your "
                    "voice (about 2 minutes), then run with --user NAME")


def test_an_enrolled_user_is_asked_to_enroll_again_by_name() -> None:
    note = hearing_note(HearingTally(understood=2, missed=4), "pocketsphinx", "ann")
    assert note is not None and note.endswith("(voicecoach enroll --user ann)")


def test_an_engine_enrollment_does_not_adapt_gets_other_advice() -> None:
    note = hearing_note(HearingTally(understood=2, missed=4), "vosk", None)
    assert note is not None and "enroll --user" not in note and "pocketsphinx" in note
