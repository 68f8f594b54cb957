"""Attribute typos resolve against the attributes the object's kind has."""

from app.healing.templates.attribute_typo import AttributeTypo
from tests.healing.templates.helpers import edits_for

CLASS = """\
class Account:
    def __init__(self, owner):
        self.owner = owner
        self.balance = 0

    def describe(self):
        return f"{self.owner}: {self.balnce}"
"""


def test_misspelt_instance_attribute_uses_the_assigned_one() -> None:
    edits = edits_for(
        AttributeTypo(), CLASS, 7, "AttributeError", "'Account' object has no attribute 'balnce'"
    )

    assert edits[0] == CLASS.replace("self.balnce", "self.balance")


def test_builtin_type_method_typo_uses_the_real_method() -> None:
    before = "def shout(text):\n    return text.uper()\n"

    edits = edits_for(
        AttributeTypo(), before, 2, "AttributeError", "'str' object has no attribute 'uper'"
    )

    assert edits[0] == "def shout(text):\n    return text.upper()\n"


def test_names_known_elsewhere_in_the_repository_are_used() -> None:
    before = "def pay(invoice):\n    return invoice.totl\n"

    edits = edits_for(
        AttributeTypo(),
        before,
        2,
        "AttributeError",
        "'Invoice' object has no attribute 'totl'",
        known_names=frozenset({"total", "customer"}),
    )

    assert edits == ["def pay(invoice):\n    return invoice.total\n"]
