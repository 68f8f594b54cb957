"""The hostile repository and host of the attack suite, for the boundary's own tests."""

from tests.security.conftest import host, repo

__all__ = ["host", "repo"]
