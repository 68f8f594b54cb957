import pytest

from outbox import batches, recipients, send


def test_recipients_are_cleaned_and_deduplicated():
    valid, rejected = recipients([" Ann@Example.com", "ann@example.com", "bob@x.org", "nobody"])
    assert valid == ["ann@example.com", "bob@x.org"]
    assert rejected == ["nobody"]


def test_one_batch_when_everything_fits():
    assert batches(["a@x", "b@x"], 50) == [["a@x", "b@x"]]


def test_batches_split_in_order():
    addresses = [f"user{n}@x.org" for n in range(5)]
    assert batches(addresses, 2) == [addresses[0:2], addresses[2:4], addresses[4:5]]


def test_a_batch_of_nothing_is_refused():
    with pytest.raises(ValueError):
        batches(["a@x"], 0)


def test_send_summary():
    addresses = [f"user{n}@x.org" for n in range(7)] + ["broken@", "user1@x.org"]
    summary = send(addresses, size=3)
    assert (summary.sent, summary.batches, summary.skipped) == (7, 3, ["broken@"])
