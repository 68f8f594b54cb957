"""The Python versions a repository's CI tests on (GitHub Actions matrices, tox's env list):
within what the project declares, the newest of these is the one its tests are known to pass on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import Version

from app.environments.files import RepositoryFiles
from app.environments.recipe import Source

_WORKFLOWS = ".github/workflows"
_KEY = re.compile(r"^\s*(?:-\s*)?[\"']?python(?:-versions?)?[\"']?\s*:\s*(.*)$")
_LIST_ITEM = re.compile(r"^\s*-\s*(.+)$")
_MINOR = re.compile(r"(?<![\w.-])3\.(\d{1,2})(?![\d])")
_TOX_ENV_LIST = re.compile(r"^\s*env_?list\s*=\s*((?:.*\n?)(?:[ \t]+.*\n?)*)", re.MULTILINE)


@dataclass(frozen=True)
class CiPythons:
    """Each minor version the CI tests on, with the file that says so."""

    minors: dict[Version, Source]

    def source_for(self, version: Version) -> Source | None:
        return self.minors.get(Version(f"{version.major}.{version.minor}"))


def ci_pythons(files: RepositoryFiles) -> CiPythons | None:
    """Every workflow's versions and tox's, together: one workflow may pin a single version for
    a lint job while the test matrix lives elsewhere."""
    minors: dict[Version, Source] = {}
    for name in files.names(_WORKFLOWS):
        if name.endswith((".yml", ".yaml")):
            for version in _workflow_minors(files.read_text(name) or ""):
                minors.setdefault(version, Source(name, f"python-version {version}"))
    match = _TOX_ENV_LIST.search(files.read_text("tox.ini") or "")
    for env in _expand(match.group(1)) if match else []:
        found = re.match(r"^py3\.?(\d{1,2})(?:-|$)", env)
        if found:
            version = Version(f"3.{found.group(1)}")
            minors.setdefault(version, Source("tox.ini", f"[tox] env_list {env}"))
    return CiPythons(minors) if minors else None


def _workflow_minors(text: str) -> frozenset[Version]:
    """`python-version: ["3.11", "3.12"]`, a YAML list under the key, or one value; text, not
    parsed YAML, because `3.10` unquoted would be the number 3.1."""
    found: set[Version] = set()
    lines = text.splitlines()
    for index, line in enumerate(lines):
        key = _KEY.match(line)
        if not key:
            continue
        values = [key.group(1)]
        for following in lines[index + 1 :]:
            item = _LIST_ITEM.match(following)
            if not item or ":" in item.group(1):
                break
            values.append(item.group(1))
        for value in values:
            found |= {Version(f"3.{minor}") for minor in _MINOR.findall(value.split("#")[0])}
    return frozenset(found)


def _expand(env_list: str) -> list[str]:
    """tox's brace expansion: `py3{8,9}-tests` → `py38-tests`, `py39-tests`."""
    expanded: list[str] = []
    for word in re.split(r"[\s,]+(?![^{]*\})", env_list):
        pending = [word.strip()]
        while any("{" in item for item in pending):
            item = next(item for item in pending if "{" in item)
            pending.remove(item)
            head, _, rest = item.partition("{")
            options, _, tail = rest.partition("}")
            pending += [f"{head}{option}{tail}" for option in options.split(",")]
        expanded += [item for item in pending if item]
    return expanded
