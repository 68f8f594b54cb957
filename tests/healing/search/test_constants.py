"""Boolean and 0/1 constant flips."""

from tests.healing.search.helpers import code, swapped, variants


def test_booleans_and_zero_one_flip() -> None:
    source = code(
        """
        def settings():
            return {"strict": False, "retries": 0}
        """
    )
    found = variants(source, "return", "constant")
    assert swapped(source, '"strict": False', '"strict": True') in found
    assert swapped(source, '"retries": 0', '"retries": 1') in found
    assert len(found) == 2
