"""`IndexError` on an empty sequence: leave early with nothing of the function's kind."""

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.empty_sequence import EmptySequence
from tests.healing.templates.helpers import dedent, edits_for

POP = """\
def next_job_name(pending):
    # newest first
    job = pending.pop()
    return job["name"].strip()
"""


def test_pop_from_an_empty_list_returns_the_functions_empty_kind() -> None:
    edits = edits_for(EmptySequence(), POP, 3, "IndexError", "pop from empty list")

    assert edits[0] == dedent("""\
        def next_job_name(pending):
            # newest first
            if not pending:
                return ""
            job = pending.pop()
            return job["name"].strip()
        """)
    assert any("return None" in edit for edit in edits)


def test_a_parameter_is_also_guarded_at_the_function_entry() -> None:
    edits = edits_for(EmptySequence(), POP, 3, "IndexError", "pop from empty list")

    entry = (
        'def next_job_name(pending):\n    if not pending:\n        return ""\n    # newest first\n'
    )
    assert any(edit.startswith(entry) for edit in edits)


def test_random_choice_and_indexing_are_guarded_in_a_loop_with_continue() -> None:
    before = """\
import random


def greetings(groups):
    chosen = []
    for names in groups:
        chosen.append(random.choice(names))
    return chosen
"""
    edits = edits_for(
        EmptySequence(), before, 7, "IndexError", "Cannot choose from an empty sequence"
    )

    assert "        if not names:\n            continue\n        chosen.append" in edits[0]
    assert "return []" in edits[1]


def test_other_index_errors_are_not_claimed() -> None:
    assert not EmptySequence().matches(ExceptionInfo("IndexError", "tuple assignment failed"))
    assert not EmptySequence().matches(ExceptionInfo("KeyError", "'empty'"))
