from jobs.progress import progress


def test_short_progress_is_a_percentage():
    assert progress(1, 4, False) == "25%"
