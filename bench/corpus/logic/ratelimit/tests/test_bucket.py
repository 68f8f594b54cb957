from bucket import TokenBucket


def test_a_full_bucket_allows_a_burst():
    bucket = TokenBucket(capacity=3, refill_per_second=1)
    assert [bucket.allow(0) for _ in range(3)] == [True, True, True]


def test_an_empty_bucket_refuses():
    bucket = TokenBucket(capacity=2, refill_per_second=1)
    bucket.allow(0)
    bucket.allow(0)
    assert not bucket.allow(0)


def test_tokens_refill_over_time():
    bucket = TokenBucket(capacity=2, refill_per_second=1)
    bucket.allow(0)
    bucket.allow(0)
    assert bucket.allow(1.0)


def test_refill_never_exceeds_capacity():
    bucket = TokenBucket(capacity=2, refill_per_second=10)
    bucket.allow(100)
    assert bucket.tokens == 1
