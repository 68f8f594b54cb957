import pytest

from backoff import TemporaryFailure, call_with_retries, delays


def flaky(failures):
    calls = []

    def operation():
        calls.append(1)
        if len(calls) <= failures:
            raise TemporaryFailure()
        return "ok"

    return operation, calls


def test_delays_double_and_cap():
    assert delays(6, base=1.0, cap=8.0) == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_success_first_time_does_not_sleep():
    operation, _ = flaky(0)
    slept = []
    assert call_with_retries(operation, 3, slept.append) == "ok"
    assert slept == []


def test_succeeds_on_the_last_attempt():
    operation, calls = flaky(2)
    slept = []
    assert call_with_retries(operation, 3, slept.append) == "ok"
    assert len(calls) == 3
    assert slept == [0.5, 1.0]


def test_gives_up_after_all_attempts():
    operation, calls = flaky(5)
    with pytest.raises(TemporaryFailure):
        call_with_retries(operation, 3, lambda seconds: None)
    assert len(calls) == 3
