"""None guards keep formatting and guard exactly the value that was None."""

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.none_guard import NoneGuard
from tests.healing.templates.helpers import dedent, edits_for

BEFORE = """\
def shipping(order):
    # the address decides the zone
    zone = order.address.zone  # keep me
    return zone * 2
"""


def test_attribute_on_none_returns_early_before_the_statement() -> None:
    edits = edits_for(
        NoneGuard(), BEFORE, 3, "AttributeError", "'NoneType' object has no attribute 'zone'"
    )

    assert edits[0] == dedent("""\
        def shipping(order):
            # the address decides the zone
            if order.address is None:
                return None
            zone = order.address.zone  # keep me
            return zone * 2
        """)
    assert (
        "    if order.address is not None:\n        zone = order.address.zone  # keep me\n"
        in edits[1]
    )


def test_loop_body_continues_instead_of_returning() -> None:
    before = "def names(users):\n    for user in users:\n        print(user.profile.name)\n"

    edits = edits_for(
        NoneGuard(), before, 3, "AttributeError", "'NoneType' object has no attribute 'name'"
    )

    assert "        if user.profile is None:\n            continue\n" in edits[0]


def test_iterating_none_iterates_nothing() -> None:
    before = "def total(cart):\n    for item in cart.items:\n        pass\n"

    edits = edits_for(NoneGuard(), before, 2, "TypeError", "'NoneType' object is not iterable")

    assert edits[0] == "def total(cart):\n    for item in (cart.items or []):\n        pass\n"


def test_other_type_errors_do_not_match() -> None:
    assert not NoneGuard().matches(ExceptionInfo("TypeError", "unhashable type: 'list'"))
