"""The App manifest asks for every event the handlers act on, and no more write access."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.events.model import EventType

MANIFEST = Path(__file__).resolve().parents[1] / "app.yml"
ALWAYS_DELIVERED = {"installation", "installation_repositories", "ping"}


def test_manifest_subscribes_to_every_github_event_the_app_names() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    named = {
        member.value.split(".")[1] for member in EventType if member.value.startswith("github.")
    }
    assert named - ALWAYS_DELIVERED <= set(manifest["default_events"])


def test_manifest_permissions_are_the_least_the_features_need() -> None:
    permissions = yaml.safe_load(MANIFEST.read_text())["default_permissions"]
    writes = {name for name, level in permissions.items() if level == "write"}
    assert writes == {"contents", "pull_requests", "issues", "checks"}
    assert permissions["metadata"] == "read"
