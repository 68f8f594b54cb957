"""Replay cases: the built-in bug corpus (`bench/corpus/*/*/case.json`), samples of it, and the
shape recorded live cases take for replay."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from app.environments.config import EnvironmentConfig
from app.healing.incidents import incident_from_sentry, incident_from_traceback
from app.healing.incidents.model import Incident
from app.healing.suite import DEFAULT_TEST_COMMAND


@dataclass(frozen=True)
class ReferenceFix:
    """A fix maintainers merged for a failure (by fingerprint): where it edited, and its diff."""

    location: str | None
    diff: str


@dataclass(frozen=True)
class ReplayCase:
    """One recorded input to heal: a repository snapshot and what showed the failure."""

    name: str
    kind: str  # "crash" or "logic"
    root: Path
    test_command: str = DEFAULT_TEST_COMMAND
    traceback: str | None = None
    sentry_event: str | None = None
    trigger: str | None = None  # a script that must stop crashing once fixed
    bug: tuple[str, int] | None = None  # the line a reference fix edits, when known
    recorded: Incident | None = None  # a live case's incident, rebuilt from the event log
    reference: ReferenceFix | None = None  # the fix merged for this very case, when one was
    # The checkout's `environment:` overrides (.github/kintsugi.yml), as a live heal reads them.
    environment: EnvironmentConfig | None = None

    def incident(self) -> Incident | None:
        """The crash to heal; None means: heal whatever the failing tests show."""
        if self.recorded is not None:
            return self.recorded
        if self.traceback is not None:
            return incident_from_traceback(self.traceback)
        if self.sentry_event is not None:
            return incident_from_sentry(self.sentry_event)
        return None


def default_corpus_path() -> Path | None:
    """`bench/corpus` of a source checkout; None where it is not shipped (the image)."""
    path = Path(__file__).resolve().parents[2] / "bench" / "corpus"
    return path if path.is_dir() else None


def load_corpus(root: Path) -> list[ReplayCase]:
    """Every case under `root`, by name. Crashes replay their traceback (or Sentry event)."""
    cases: list[ReplayCase] = []
    for spec_path in sorted(root.glob("*/*/case.json")):
        case_root = spec_path.parent
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        traceback = sentry_event = None
        if spec.get("traceback"):
            traceback = (case_root / str(spec["traceback"])).read_text(encoding="utf-8")
        elif spec.get("sentry_event"):
            sentry_event = (case_root / str(spec["sentry_event"])).read_text(encoding="utf-8")
        bug = spec.get("bug")
        cases.append(
            ReplayCase(
                name=case_root.name,
                kind=str(spec.get("kind", "logic")),
                root=case_root,
                test_command=str(spec.get("test_command") or DEFAULT_TEST_COMMAND),
                traceback=traceback,
                sentry_event=sentry_event,
                trigger=str(spec["trigger"]) if spec.get("trigger") else None,
                bug=(str(bug["path"]), int(bug["line"])) if isinstance(bug, dict) else None,
            )
        )
    return cases


def sample_cases(
    cases: list[ReplayCase], size: int, *, seed: str = "kintsugi", kinds: tuple[str, ...] = ()
) -> list[ReplayCase]:
    """A deterministic sample: the `size` cases whose names hash lowest under `seed`."""
    pool = [case for case in cases if not kinds or case.kind in kinds]

    def rank(case: ReplayCase) -> str:
        return hashlib.sha256(f"{seed}:{case.name}".encode()).hexdigest()

    return sorted(sorted(pool, key=rank)[:size], key=lambda case: case.name)
