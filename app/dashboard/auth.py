"""Who may see the dashboard: the admin token, the session cookie derived from it, and the
per-session CSRF token of its forms."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import Request

COOKIE_NAME = "kintsugi_dashboard"
COOKIE_PATH = "/dashboard"
SESSION_SECONDS = 12 * 60 * 60


class DashboardDenied(Exception):
    """The request may not see the dashboard; `status` says why (404 off, 401 who, 403 forged)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Session:
    """An authenticated visitor: by cookie (a browser, `nonce` set) or by bearer token."""

    nonce: str | None

    @property
    def by_cookie(self) -> bool:
        return self.nonce is not None


class DashboardKey:
    """Everything derived from the admin token. The cookie holds `issued.nonce.mac` where mac
    is an HMAC keyed by the token: it proves the token without revealing it, expires, and every
    session it ever issued dies when the token is changed."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    def token_matches(self, candidate: str) -> bool:
        # Digests first: compare_digest on unequal lengths would leak the token's length.
        given = hashlib.sha256(candidate.encode()).digest()
        return hmac.compare_digest(given, hashlib.sha256(self._token).digest())

    def new_cookie(self, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        nonce = secrets.token_urlsafe(16)
        return f"{issued}.{nonce}.{self._mac(f'session:{issued}:{nonce}')}"

    def session_from_cookie(self, cookie: str | None, now: float | None = None) -> Session | None:
        if not cookie or cookie.count(".") != 2:
            return None
        issued_text, nonce, mac = cookie.split(".")
        if not issued_text.isdigit():
            return None
        expected = self._mac(f"session:{issued_text}:{nonce}")
        if not hmac.compare_digest(mac.encode(), expected.encode()):
            return None
        age = (now if now is not None else time.time()) - int(issued_text)
        return Session(nonce) if 0 <= age <= SESSION_SECONDS else None

    def csrf_token(self, session: Session) -> str:
        return self._mac(f"csrf:{session.nonce}") if session.nonce else ""

    def csrf_valid(self, session: Session, submitted: str | None) -> bool:
        if not session.by_cookie:
            # Browsers never attach an Authorization header on their own: nothing to forge.
            return True
        return submitted is not None and hmac.compare_digest(
            submitted.encode(), self.csrf_token(session).encode()
        )

    def _mac(self, message: str) -> str:
        return hmac.new(self._token, message.encode(), hashlib.sha256).hexdigest()


def dashboard_key(request: Request) -> DashboardKey:
    """The key of the configured token, or 404: an unset token switches the dashboard off."""
    token = request.app.state.services.settings.dashboard_token
    if token is None or not token.get_secret_value():
        raise DashboardDenied(
            404,
            "The dashboard is disabled. Set DASHBOARD_TOKEN (a long random string) to enable it.",
        )
    return DashboardKey(token.get_secret_value())


def require_session(request: Request) -> Session:
    """The visitor's session from the cookie or an `Authorization: Bearer` header, or 401."""
    key = dashboard_key(request)
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        if key.token_matches(credentials.strip()):
            return Session(None)
        raise DashboardDenied(401, "That token is not right.")
    session = key.session_from_cookie(request.cookies.get(COOKIE_NAME))
    if session is None:
        raise DashboardDenied(401, "Sign in with the dashboard token.")
    return session
