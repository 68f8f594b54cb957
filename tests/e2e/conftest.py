"""The fake GitHub and its repository, shared with the GitHub tests."""

from tests.github.conftest import app_key, fake_github, github_app, shop

__all__ = ["app_key", "fake_github", "github_app", "shop"]
