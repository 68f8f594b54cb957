"""The words of improvement pull requests and of the `/evolve` reply: what a codemod changes,
how big the change is, the test evidence, a speedup's benchmark figures, and how to decline."""

from __future__ import annotations

from collections.abc import Sequence

from app.evolution.benchmark import BenchmarkFigures
from app.evolution.codemods import Codemod
from app.evolution.improvements import Improvement
from app.github.api import PullRequestRef

_DIFF_SHOWN = 20_000  # characters of the diff in the body; GitHub caps bodies at 65,536


def diff_size(diff: str) -> tuple[int, int]:
    """(lines added, lines removed) of a unified diff."""
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def suite_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()) if n) or "no tests"


def improvement_body(improvement: Improvement, what: str, trigger_url: str) -> str:
    """The pull request's text: what changes and why it is safe, the evidence, how to decline."""
    added, removed = diff_size(improvement.diff)
    files = "\n".join(f"- `{path}`" for path in improvement.files)
    diff = improvement.diff
    if len(diff) > _DIFF_SHOWN:
        diff = diff[:_DIFF_SHOWN] + "\n… (the rest is in the Files tab)\n"
    return f"""## {improvement.title}

{what}

Requested in {trigger_url}. Produced by the `{improvement.codemod}` codemod, a rewrite of \
the syntax tree (libcst) rather than of the text; only non-test modules are changed.

## Size

{len(improvement.files)} file(s), +{added} / -{removed} lines:

{files}

## Evidence

The repository's test suite ran in Kintsugi's sandbox before and after the rewrite:

- tests before: {suite_counts(improvement.tests_before)}
- tests after: {suite_counts(improvement.tests_after)}

Nothing that passed before fails after.
{benchmark_section(improvement.benchmark)}
<details><summary>Diff</summary>

```diff
{diff}```

</details>

## To decline

Close this pull request without merging: Kintsugi will not propose `{improvement.codemod}`
here again. To stop improvement pull requests altogether, set `max_open_improvements: 0` in
`.github/kintsugi.yml`.
"""


def benchmark_section(figures: BenchmarkFigures | None) -> str:
    """A speedup's measurements: every run, the medians and fastest runs, the gains and the
    margin both cleared."""
    if figures is None:
        return ""
    runs = "\n".join(
        f"| {i} | {before:.3f} | {after:.3f} |"
        for i, (before, after) in enumerate(zip(figures.before, figures.after, strict=True), 1)
    )
    return f"""
## Benchmark

`{figures.command}` (the repository's `benchmark_command`) ran in the sandbox on the code \
before and after the rewrite, alternately, {len(figures.before)} times each after one warm-up \
run each. Wall-clock seconds:

| run | before | after |
| --- | --- | --- |
{runs}
| **median** | **{figures.median_before:.3f}** | **{figures.median_after:.3f}** |
| **fastest** | **{figures.best_before:.3f}** | **{figures.best_after:.3f}** |

The median fell by {figures.gain:.1%} and the fastest run by {figures.best_gain:.1%}; Kintsugi \
proposes a speedup only when both fall by at least {figures.margin:.0%}.
"""


def codemod_explanation(codemod: str, codemods: Sequence[Codemod]) -> str:
    for candidate in codemods:
        if candidate.name == codemod:
            doc = (type(candidate).__doc__ or "").strip()
            return f"This rewrites {doc}" if doc else candidate.title
    return codemod


def opened_text(opened: list[PullRequestRef]) -> str:
    if not opened:
        return ""
    links = "".join(f"\n- {pull.html_url}" for pull in opened)
    return (
        f"Opened {len(opened)} improvement pull request(s), each validated by the test "
        f"suite:{links}"
    )
