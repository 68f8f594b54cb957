from scheduler import Job, runnable


def test_jobs_without_dependencies_are_runnable():
    assert runnable({"lint": Job("lint"), "test": Job("test")}) == ["lint", "test"]


def test_successful_jobs_are_finished():
    assert Job("build", done=True).finished


def test_failed_jobs_are_finished():
    assert Job("build", failed=True).finished


def test_dependants_wait_for_success():
    jobs = {"build": Job("build", done=True), "deploy": Job("deploy", depends_on=["build"])}
    assert runnable(jobs) == ["deploy"]


def test_failed_dependency_blocks():
    jobs = {"build": Job("build", failed=True), "deploy": Job("deploy", depends_on=["build"])}
    assert runnable(jobs) == []
