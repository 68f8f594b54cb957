"""`next()` on an exhausted iterator gets a default."""

from app.healing.templates.exhausted_iterator import ExhaustedIterator
from tests.healing.templates.helpers import edits_for


def test_next_gets_none_default() -> None:
    before = "def first_admin(users):\n    return next(u for u in users if u.admin)\n"

    edits = edits_for(ExhaustedIterator(), before, 2, "StopIteration", "")

    assert edits == [
        "def first_admin(users):\n    return next((u for u in users if u.admin), None)\n"
    ]
