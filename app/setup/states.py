"""Who may register the App: the setup token printed at start-up, and the `state` each
registration carries to GitHub and back — random, single-use, expiring."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# GitHub's registration page is quick to fill in; a state older than this is refused.
STATE_SECONDS = 30 * 60
# More outstanding states than any person opens; bounds memory against a flood of page loads.
MAX_STATES = 64


@dataclass
class SetupGate:
    """In memory on purpose: a restart invalidates every token and state, which is the point."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    clock: Callable[[], float] = time.monotonic
    _states: dict[str, float] = field(default_factory=dict)

    def token_matches(self, candidate: str | None) -> bool:
        if not candidate:
            return False
        given = hashlib.sha256(candidate.encode()).digest()
        return hmac.compare_digest(given, hashlib.sha256(self.token.encode()).digest())

    def new_state(self) -> str:
        now = self.clock()
        self._states = {s: t for s, t in self._states.items() if now - t <= STATE_SECONDS}
        while len(self._states) >= MAX_STATES:
            del self._states[min(self._states, key=self._states.__getitem__)]
        state = secrets.token_urlsafe(24)
        self._states[state] = now
        return state

    def redeem(self, state: str | None) -> bool:
        """True once for a state this gate issued less than `STATE_SECONDS` ago."""
        issued = self._states.pop(state, None) if state else None
        return issued is not None and self.clock() - issued <= STATE_SECONDS
