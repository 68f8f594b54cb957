"""A project's packaging metadata, from whichever file declares it, and the install step it
makes: the project built through its backend with its test extras, or, when nothing builds it,
its dependencies on their own."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.environments.interpreters import PythonWanted
from app.environments.parts import Part, canonical, names_of, requirements_step, testing_names
from app.environments.recipe import InstallStep, Source


@dataclass
class Metadata:
    """What one packaging file says; `builder` is None when nothing would build the project."""

    file: str
    name: str | None = None
    dependencies: list[str] = field(default_factory=list)
    dependencies_where: str = ""
    extras: dict[str, list[str]] = field(default_factory=dict)
    extras_where: str = ""
    python: list[PythonWanted] = field(default_factory=list)
    builder: str | None = None


def merge(first: Metadata, second: Metadata) -> Metadata:
    """pyproject.toml beside setup.cfg/setup.py: each fills in what the other leaves out, and
    the file that declares the project names it."""
    declares = bool(first.name or first.dependencies_where or first.extras_where)
    return Metadata(
        file=first.file if declares else second.file,
        name=first.name or second.name,
        dependencies=first.dependencies or second.dependencies,
        dependencies_where=first.dependencies_where or second.dependencies_where,
        extras=first.extras or second.extras,
        extras_where=first.extras_where or second.extras_where,
        python=first.python + second.python,
        builder=first.builder or second.builder,
    )


def project_part(metadata: Metadata) -> Part | None:
    extras = testing_names(metadata.extras)
    chosen = [text for extra in extras for text in metadata.extras[extra]]
    own = canonical(metadata.name) if metadata.name else None
    names = names_of(metadata.dependencies + chosen) - ({own} if own else set())
    where = metadata.extras_where
    extras_detail = ", ".join(f"{where}.{extra}" for extra in extras)
    if metadata.builder is not None:
        detail = f"built with {metadata.builder}"
        if extras_detail:
            detail = f"{extras_detail}; {detail}"
        return Part(InstallStep("project", tuple(extras), Source(metadata.file, detail)), names)
    # Not built (no build backend): its dependencies still have to be there for the tests.
    wanted = [text for text in metadata.dependencies + chosen if own not in names_of([text])]
    detail = ", ".join(filter(None, [metadata.dependencies_where, extras_detail]))
    detail += " (no build backend: the project itself is not installed)"
    return requirements_step(wanted, Source(metadata.file, detail.strip()))
