"""A tiny job scheduler: which jobs are finished, which can run next."""

from dataclasses import dataclass, field


@dataclass
class Job:
    name: str
    done: bool = False
    failed: bool = False
    depends_on: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.done and self.failed


def runnable(jobs: dict[str, Job]) -> list[str]:
    """Jobs not yet finished whose dependencies all completed successfully."""
    ready = []
    for name, job in sorted(jobs.items()):
        if job.finished:
            continue
        if all(jobs[dep].done and not jobs[dep].failed for dep in job.depends_on):
            ready.append(name)
    return ready
