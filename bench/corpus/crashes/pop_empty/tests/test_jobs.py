from queueing.jobs import next_job_name, queued


def test_newest_job_first():
    assert next_job_name([{"name": "old"}, {"name": " new "}]) == "new"


def test_queued():
    assert queued([{"name": "a"}]) == 1
