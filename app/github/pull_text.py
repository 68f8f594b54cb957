"""The words of a fix pull request: title, body with root cause, change, evidence and
confidence, and the commit message — with every known secret scrubbed out."""

from __future__ import annotations

from collections.abc import Iterable

from app.healing import Fix

COMMANDS_HELP = """<details>
<summary>Commands Kintsugi accepts</summary>

Comment on this pull request or its issue (write access needed):

- `/heal` — heal again (paste a traceback in the comment or the issue)
- `/status` — what Kintsugi knows about this repository
- `/run <function> [json]` — run a function declared in `.github/kintsugi.yml`
- `/help` — this list
</details>"""


def branch_name(fingerprint: str) -> str:
    return f"kintsugi/fix-{fingerprint}"


def pull_title(fix: Fix, summary: str) -> str:
    where = f" in {fix.location}" if fix.location else ""
    headline = summary.split("\n", 1)[0]
    if len(headline) > 60:
        headline = headline[:57] + "…"
    return f"Fix {headline}{where}"


def commit_message(fix: Fix, summary: str, trigger_url: str) -> str:
    return (
        f"{pull_title(fix, summary)}\n\n"
        f"{fix.description}.\n\n"
        f"Root cause: {fix.root_cause}\n"
        f"Validated by Kintsugi ({fix.strategy}/{fix.operator}), confidence "
        f"{fix.confidence:.2f}.\n"
        f"Incident: {trigger_url}\n"
        f"Kintsugi-Fingerprint: {fix.fingerprint}\n"
    )


def _counts(counts: dict[str, int]) -> str:
    if not counts:
        return "not run"
    return f"{counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed"


def pull_body(fix: Fix, trigger_url: str, *, verification: str | None = None) -> str:
    evidence = fix.evidence
    reproduced = (
        f"yes — `{evidence.reproduction}` failed with the same exception before the change"
        if evidence.reproduced and evidence.reproduction
        else ("yes — by the failing tests" if evidence.reproduced else "no (see confidence)")
    )
    new_tests = (
        "\n".join(f"- added regression test `{path}`" for path in sorted(fix.new_tests)) or ""
    )
    lines = [
        "## Root cause",
        "",
        fix.root_cause,
        "",
        "## The change",
        "",
        f"{fix.description} (strategy `{fix.strategy}`, operator `{fix.operator}`), in "
        + ", ".join(f"`{path}`" for path in fix.files)
        + ".",
        "",
        "```diff",
        fix.diff.rstrip("\n"),
        "```",
        "",
        "## Evidence",
        "",
        f"- incident reproduced: {reproduced}",
        f"- tests before: {_counts(evidence.before)}",
        f"- tests after: {_counts(evidence.after)}",
        f"- candidates validated: {evidence.candidates_tried} in {evidence.seconds:.1f}s",
    ]
    if new_tests:
        lines.append(new_tests)
    if verification:
        lines.append(f"- re-run on the pushed commit: {verification}")
    lines += [
        "",
        "## Confidence",
        "",
        f"**{fix.confidence:.2f}** — "
        + (
            "the crash was reproduced and every test passes with the change."
            if evidence.reproduced and fix.confidence >= 0.6
            else "the crash could not be reproduced by a test, so the tests never saw the bug; "
            "review with care."
        ),
        "",
        f"Triggered by {trigger_url}. Fingerprint `{fix.fingerprint}`; a recurrence of the "
        "same failure is reported here instead of opening another pull request. To try again, "
        "comment `/heal` on the issue.",
        "",
        COMMANDS_HELP,
    ]
    return "\n".join(lines)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced; short values are skipped (they would only
    damage the text and cannot be credentials)."""
    for secret in secrets:
        if len(secret) >= 8:
            text = text.replace(secret, "[redacted]")
    return text
