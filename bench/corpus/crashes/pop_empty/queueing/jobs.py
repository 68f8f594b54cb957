"""A small job queue: the newest job is taken first."""


def next_job_name(pending):
    job = pending.pop()
    return job["name"].strip()


def queued(pending):
    return len(pending)
