"""The fixed texts of command replies."""

from __future__ import annotations

HELP = """Kintsugi commands (for people with write access to this repository):

| command | what it does |
| --- | --- |
| `/heal` | heal the traceback or linked Sentry issue in this comment or the issue |
| `/fix <description>` | describe a bug in words and get a fix (needs an LLM configured) |
| `/run <function> [json]` | run a function declared in `.github/kintsugi.yml` |
| `/status` | what Kintsugi knows about this repository |
| `/evolve` | propose modernisation pull requests, each kept only if the tests stay green |
| `/help` | this list |

Settings live in `.github/kintsugi.yml`."""

NOT_ALLOWED = (
    "Thanks, @{author}! Kintsugi commands can only be run by people with write access to this "
    "repository. A maintainer can run `{command}` for you."
)

NO_TRACEBACK = (
    "I could not find a Python traceback in this comment or in the issue, nor a link to a "
    "Sentry issue. Paste one (starting with `Traceback (most recent call last):`) in a comment "
    "together with `/heal`, or link the Sentry issue (`https://<org>.sentry.io/issues/<id>/`)."
)

UNTRUSTED_ISSUE = (
    "I did not use the issue's description: it was written by @{author}, who does not have "
    "write access to this repository, and Kintsugi takes the text it heals from (tracebacks, "
    "Sentry links) only from people who do. A maintainer can paste the traceback in a comment "
    "together with `/heal`."
)

NO_LLM = (
    "`/fix` writes a fix from a description, which needs an LLM, and none is configured for "
    "this Kintsugi installation (its operator can set `LLM_MODEL`). `/heal` with a traceback "
    "works without one."
)

FIX_UNSUPPORTED = (
    "`/fix` from a description is not supported by this Kintsugi version's healing engine yet. "
    "`/heal` with a traceback works."
)

COMMANDS_OFF = "Commands are turned off for this repository (`sources.commands: false`)."
