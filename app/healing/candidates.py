"""Candidate fixes and the strategies that propose them, cheapest first."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from app.healing.incidents.model import Incident
from app.healing.localise import Location, RepositoryFiles, is_test_file
from app.healing.templates import Template, TemplateContext, catalogue

_CI_PATHS = re.compile(
    r"^(\.github|\.gitlab|\.circleci|\.ci|\.buildkite)/|^(\.gitlab-ci\.yml|\.travis\.yml|tox\.ini"
    r"|noxfile\.py|azure-pipelines\.yml|Jenkinsfile|\.pre-commit-config\.yaml)$"
)


@dataclass(frozen=True)
class Candidate:
    """A proposed change: whole new texts for one or more repository files.

    `cost_usd` is what proposing it cost (an LLM call). A proposal that could not be turned
    into a change (an LLM answer that is not a valid edit) carries its `refusal` and no
    changes, so the pipeline records it as rejected without trying it."""

    strategy: str
    operator: str
    description: str
    changes: dict[str, str]
    location: Location | None = None
    cost_usd: float = 0.0
    refusal: str | None = None

    @property
    def key(self) -> str:
        digest = hashlib.sha256()
        if self.refusal is not None:
            digest.update(f"{self.strategy}\0{self.description}\0{self.refusal}\0".encode())
        for path in sorted(self.changes):
            digest.update(path.encode() + b"\0" + self.changes[path].encode() + b"\0")
        return digest.hexdigest()[:16]


def rejection(candidate: Candidate, files: RepositoryFiles) -> str | None:
    """Why a candidate may not even be tried (the rules every fix obeys), or None."""
    if candidate.refusal is not None:
        return candidate.refusal
    for path in candidate.changes:
        resolved = (files.root / path).resolve()
        if (
            not resolved.is_relative_to(files.root)
            or path.startswith("/")
            or ".." in path.split("/")
        ):
            return f"{path} is outside the repository"
        if is_test_file(path):
            return f"{path} is a test file: fixes never edit tests"
        if _CI_PATHS.search(path):
            return f"{path} is CI configuration"
    return None


@dataclass(frozen=True)
class RepairContext:
    """What a strategy may look at: the repository, the incident and where it points.

    `deadline` is the case's end on the `time.monotonic()` clock: a strategy that waits on
    something slow (an LLM) stops waiting then."""

    files: RepositoryFiles
    incident: Incident
    locations: tuple[Location, ...]
    known_names: frozenset[str] = field(default_factory=frozenset)
    deadline: float | None = None


# How many rings a search widens through once every strategy's first proposals are spent:
# 1 deeper suspicious locations, 2 more operator families, 3 pairs of edits at the top sites.
RINGS = 3


class Strategy(Protocol):
    """Proposes candidates, likeliest first; the pipeline stops pulling when its budget ends.

    A strategy may also set `parallel` to cap how many of its candidates are validated at
    once: 1 means each proposal waits for the verdict on the previous one, which suits a
    strategy whose proposals cost money. A strategy that sets `last_resort` (a few cheap
    proposals, such as a revert) is asked first but tried in its turn, and the strategies
    before it leave it room in the case's candidate and time budgets.

    A strategy that can look further also has `widen(context, ring)`, asked for rings 1 to
    `RINGS` in turn when every strategy's first proposals are spent with budget left."""

    name: str

    def propose(self, context: RepairContext) -> AsyncIterator[Candidate]: ...


class TemplateStrategy:
    """Fix templates for the exception kind, at each suspicious location in rank order."""

    name = "template"

    def __init__(self, templates: list[Template] | None = None, max_locations: int = 4) -> None:
        self.templates = templates if templates is not None else catalogue()
        self.max_locations = max_locations

    async def propose(self, context: RepairContext) -> AsyncIterator[Candidate]:
        for candidate in self._candidates(context):
            yield candidate

    async def widen(self, context: RepairContext, ring: int) -> AsyncIterator[Candidate]:
        """Ring 1: the templates at the locations past the first `max_locations`."""
        if ring != 1:
            return
        for candidate in self._candidates(context, context.locations[self.max_locations :]):
            yield candidate

    def _candidates(
        self, context: RepairContext, locations: Sequence[Location] | None = None
    ) -> Iterator[Candidate]:
        chosen = context.locations[: self.max_locations] if locations is None else locations
        for location in chosen:
            exception = location.exception or context.incident.exception
            source = context.files.read(location.path)
            for template in self.templates:
                if not template.matches(exception):
                    continue
                template_context = TemplateContext(
                    source, location.line, exception, context.known_names
                )
                try:
                    edits = list(template.edits(template_context))
                except Exception:  # one odd file must not stop the other templates
                    continue
                for edit in edits:
                    if edit.source != source:
                        yield Candidate(
                            self.name,
                            template.name,
                            edit.description,
                            {location.path: edit.source},
                            location,
                        )


MutantSource = Callable[[str, int], Iterator[object]]


class SearchRingSource(Protocol):
    """Where a search looks once its first pass is spent (see `app.healing.search.SearchRings`)."""

    def singles(self, source: str, line: int) -> Iterator[object]: ...

    def deeper(self, source: str, lines: Sequence[int]) -> list[int]: ...

    def wider(self, source: str, line: int) -> Iterator[object]: ...

    def pairs(self, source: str, lines: Sequence[int]) -> Iterator[object]: ...


class SearchStrategy:
    """Test-guided search: small edits at the suspicious lines, as a mutant source produces them.

    `mutants(source, line)` yields objects with `operator`, `description` and `source`. Lines
    are visited round-robin, a few edits at a time, so the second most suspicious line is not
    starved by hundreds of unlikely edits at the first. With `rings`, the search widens when
    that is spent: ring 1 the same edits at deeper lines (the locations past `max_locations`,
    then the other statements of the functions holding the top ones), ring 2 the
    statement-level families at every location, ring 3 pairs of edits at the top `pair_sites`
    lines of each file, and across two of them."""

    name = "search"

    def __init__(
        self,
        mutants: MutantSource,
        max_locations: int = 8,
        per_location: int = 300,
        chunk: int = 12,
        rings: SearchRingSource | None = None,
        pair_sites: int = 3,
    ) -> None:
        self.mutants = mutants
        self.max_locations = max_locations
        self.per_location = per_location
        self.chunk = chunk
        self.rings = rings
        self.pair_sites = pair_sites

    async def propose(self, context: RepairContext) -> AsyncIterator[Candidate]:
        for candidate in self._interleaved(context, context.locations[: self.max_locations]):
            yield candidate

    async def widen(self, context: RepairContext, ring: int) -> AsyncIterator[Candidate]:
        rings = self.rings
        if rings is None:
            return
        if ring == 1:
            found = self._interleaved(context, self._deeper(context, rings), rings.singles)
        elif ring == 2:
            found = self._interleaved(context, context.locations, rings.wider)
        elif ring == 3:
            found = self._pairs(context, rings)
        else:
            return
        for candidate in found:
            yield candidate

    def _deeper(self, context: RepairContext, rings: SearchRingSource) -> list[Location]:
        top = context.locations[: self.max_locations]
        deeper = list(context.locations[self.max_locations :])
        known = {(location.path, location.line) for location in context.locations}
        for path in dict.fromkeys(location.path for location in top):
            try:
                lines = rings.deeper(
                    context.files.read(path), [loc.line for loc in top if loc.path == path]
                )
            except Exception:  # an unparsable file: its frames were all there was
                continue
            for line in lines:
                if (path, line) not in known:
                    known.add((path, line))
                    deeper.append(Location(path, line, "", 0.0))
        return deeper

    def _pairs(self, context: RepairContext, rings: SearchRingSource) -> Iterator[Candidate]:
        by_path: dict[str, list[Location]] = {}
        for location in context.locations:
            sites = by_path.setdefault(location.path, [])
            if len(sites) < self.pair_sites:
                sites.append(location)
        for path, sites in by_path.items():
            try:
                source = context.files.read(path)
                produced = rings.pairs(source, [site.line for site in sites])
                yield from self._wrapped(produced, path, source, sites[0], limit=None)
            except Exception:  # an unparsable file: other files go on
                continue

    def _interleaved(
        self,
        context: RepairContext,
        locations: Sequence[Location],
        source_of: MutantSource | None = None,
    ) -> Iterator[Candidate]:
        streams = [
            (location, self._at(context, location, source_of or self.mutants))
            for location in locations
        ]
        while streams:
            alive = []
            for location, stream in streams:
                for taken, candidate in enumerate(stream, 1):
                    yield candidate
                    if taken >= self.chunk:
                        alive.append((location, stream))
                        break
            streams = alive

    def _at(
        self, context: RepairContext, location: Location, source_of: MutantSource
    ) -> Iterator[Candidate]:
        try:
            source = context.files.read(location.path)
            produced = source_of(source, location.line)
            yield from self._wrapped(produced, location.path, source, location, self.per_location)
        except Exception:  # an unparsable file or odd line: other lines go on
            return

    def _wrapped(
        self,
        produced: Iterable[object],
        path: str,
        source: str,
        location: Location,
        limit: int | None,
    ) -> Iterator[Candidate]:
        for count, mutant in enumerate(produced):
            if limit is not None and count >= limit:
                return
            yield Candidate(
                self.name,
                str(getattr(mutant, "operator", "edit")),
                str(getattr(mutant, "description", "")),
                {path: str(getattr(mutant, "source", source))},
                location,
            )
