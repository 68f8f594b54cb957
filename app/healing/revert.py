"""Reverting the suspect change: the crash's files as they were before the release's commit."""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

from git import BadName, GitCommandError, InvalidGitRepositoryError, NoSuchPathError, Repo
from git.objects import Commit

from app.healing.candidates import Candidate, RepairContext
from app.healing.incidents.model import Incident
from app.healing.localise import Location, RepositoryFiles, is_test_file

log = logging.getLogger(__name__)

# What may follow a release's name: `myapp@3f2a9c1`, `1.4.0+3f2a9c1`, `v1.4-2-g3f2a9c1`.
_TRAILING_SHA = re.compile(r"(?:^|[@+:/_.-]g?)([0-9a-fA-F]{7,40})$")
# Revisions git may be asked about: names, tags, branches, hex; never options, ranges or
# reflog and path syntax, since the release string comes from outside.
_SAFE_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]{0,199}$")
# Never let a repository's attributes choose an external diff or text conversion.
_DIFF_FLAGS = ("--no-ext-diff", "--no-textconv", "--no-color", "--no-renames")


@dataclass(frozen=True)
class SuspectCommit:
    """The commit a release maps to, and what reverting it does to the crash's files."""

    sha: str
    subject: str
    reverted: dict[str, str]
    skipped: tuple[str, ...] = ()

    @property
    def short_sha(self) -> str:
        return self.sha[:7]


class RevertStrategy:
    """When the incident's release resolves to a commit that touched the crash's in-app files,
    propose those files with that commit's changes undone (test files are never reverted).

    Git reads the repository's own `.git` on the host: only objects are read and merged as
    text, no hook, filter or repository code runs."""

    name = "revert"
    # Tried after every targeted strategy, with candidates and time held back for it.
    last_resort = True

    async def propose(self, context: RepairContext) -> AsyncIterator[Candidate]:
        suspect = await asyncio.to_thread(find_suspect, context.files, context.incident)
        if suspect is None or not suspect.reverted:
            return
        paths = sorted(suspect.reverted)
        yield Candidate(
            self.name,
            "revert_commit",
            f"revert {suspect.short_sha} ({suspect.subject}) in {', '.join(paths)}",
            dict(suspect.reverted),
            _location_in(context.locations, paths),
        )


def find_suspect(files: RepositoryFiles, incident: Incident) -> SuspectCommit | None:
    """The release's commit with its changes to the crash's files undone, or None when the
    release names no commit of this repository or that commit left those files alone."""
    if not incident.release or not (files.root / ".git").exists():
        return None
    try:
        repo = Repo(files.root)
    except (InvalidGitRepositoryError, NoSuchPathError):
        return None
    with repo:
        try:
            return _suspect(repo, files, incident.release, incident)
        except (GitCommandError, ValueError) as error:  # a shallow clone lacks the parent
            log.info("suspect commit unreadable", extra={"error": str(error)[:200]})
            return None


def _suspect(
    repo: Repo, files: RepositoryFiles, release: str, incident: Incident
) -> SuspectCommit | None:
    """The work of `find_suspect` once the repository is open."""
    commit = resolve_release(repo, release)
    if commit is None or not commit.parents:
        return None  # reverting a root commit would empty the repository
    crash_files = _crash_files(files, incident)
    if not crash_files:
        return None
    parent = commit.parents[0]
    touched = _touched(repo, parent, commit, crash_files)
    if not touched:
        return None
    reverted: dict[str, str] = {}
    skipped: list[str] = []
    for path in touched:
        current = files.read(path)
        text = _reverted_text(repo, parent, commit, path, current)
        if text is None:
            skipped.append(path)
        elif text != current:
            reverted[path] = text
    subject = commit.summary if isinstance(commit.summary, str) else commit.summary.decode()
    suspect = SuspectCommit(commit.hexsha, subject, reverted, tuple(skipped))
    log.info(
        "suspect commit found",
        extra={
            "commit": suspect.short_sha,
            "reverted": sorted(reverted),
            "skipped": list(skipped),
        },
    )
    return suspect


def resolve_release(repo: Repo, release: str) -> Commit | None:
    """The commit a release string names: the whole string as a revision (a tag, a branch, a
    sha), else the sha it ends with."""
    for revision in _revisions(release.strip()):
        try:
            sha = repo.git.rev_parse("--verify", "--quiet", f"{revision}^{{commit}}")
            return repo.commit(sha)
        except (GitCommandError, BadName, ValueError):
            continue
    return None


def _revisions(release: str) -> Iterable[str]:
    if _SAFE_REVISION.match(release) and ".." not in release:
        yield release
    match = _TRAILING_SHA.search(release)
    if match and match.group(1) != release:
        yield match.group(1)


def _crash_files(files: RepositoryFiles, incident: Incident) -> list[str]:
    """Repository files of the in-app frames, the raised exception's crash frame first."""
    found: list[str] = []
    for exception in reversed(incident.exceptions):
        for frame in reversed(exception.frames):
            if frame.in_app is False:
                continue
            path = files.resolve(frame.filename)
            if path is not None and not is_test_file(path) and path not in found:
                found.append(path)
    return found


def _touched(repo: Repo, parent: Commit, commit: Commit, paths: list[str]) -> list[str]:
    names = repo.git.diff(*_DIFF_FLAGS, "--name-only", parent.hexsha, commit.hexsha, "--", *paths)
    changed = set(names.splitlines())
    return [path for path in paths if path in changed]


def _reverted_text(
    repo: Repo, parent: Commit, commit: Commit, path: str, current: str
) -> str | None:
    """`current` with the commit's change to `path` undone: a three-way merge with the
    commit's version as base, as `git revert` does. None when that conflicts (the file moved
    on since) or the commit created the file."""
    try:
        before = _blob_text(parent, path)
        after = _blob_text(commit, path)
    except (KeyError, UnicodeDecodeError):
        return None
    with tempfile.TemporaryDirectory(prefix="kintsugi-revert-") as scratch:
        ours, base, theirs = (Path(scratch, name) for name in ("current", "commit", "parent"))
        ours.write_text(current, encoding="utf-8")
        base.write_text(after, encoding="utf-8")
        theirs.write_text(before, encoding="utf-8")
        try:
            merged: str = repo.git.merge_file(
                "-p", "--", str(ours), str(base), str(theirs), strip_newline_in_stdout=False
            )
        except GitCommandError:  # exit status = number of conflicts
            return None
    return merged


def _blob_text(commit: Commit, path: str) -> str:
    data: bytes = (commit.tree / path).data_stream.read()
    return data.decode("utf-8")


def _location_in(locations: tuple[Location, ...], paths: list[str]) -> Location | None:
    return next((location for location in locations if location.path in paths), None)
