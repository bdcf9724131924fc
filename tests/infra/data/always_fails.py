"""Not collected by the suite (no test_ prefix): .ci/run's tests pass it explicitly."""


def test_this_fails_on_purpose() -> None:
    raise AssertionError("this file exists to make pytest fail")
