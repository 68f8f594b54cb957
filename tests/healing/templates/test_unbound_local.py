"""Unbound locals are declared global when the module owns them, else initialised."""

from app.healing.templates.unbound_local import UnboundLocal
from tests.healing.templates.helpers import edits_for

MESSAGE = "cannot access local variable '{}' where it is not associated with a value"


def test_counter_owned_by_the_module_is_declared_global() -> None:
    before = 'calls = 0\n\n\ndef track():\n    """Count."""\n    calls += 1\n    return calls\n'

    edits = edits_for(UnboundLocal(), before, 6, "UnboundLocalError", MESSAGE.format("calls"))

    assert edits[0] == (
        'calls = 0\n\n\ndef track():\n    """Count."""\n    global calls\n    calls += 1\n'
        "    return calls\n"
    )


def test_local_assigned_in_one_branch_is_initialised_first() -> None:
    before = "def label(n):\n    if n > 0:\n        text = 'pos'\n    return text\n"

    edits = edits_for(UnboundLocal(), before, 4, "UnboundLocalError", MESSAGE.format("text"))

    assert (
        edits[0]
        == "def label(n):\n    text = None\n    if n > 0:\n        text = 'pos'\n    return text\n"
    )
    assert len(edits) == 4
