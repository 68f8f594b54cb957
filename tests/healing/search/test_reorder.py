"""Swapped statements."""

from tests.healing.search.helpers import code, wide_variants

FIB = code(
    """
    def fibonacci(count):
        terms = []
        current, following = 0, 1
        for _ in range(count):
            current, following = following, current + following
            # the term as it stands now
            terms.append(current)
        return terms
    """
)


def test_a_statement_trades_places_with_the_one_before_and_comments_stay() -> None:
    found = wide_variants(FIB, "terms.append(current)", "swap_statements")
    assert (
        code(
            """
            def fibonacci(count):
                terms = []
                current, following = 0, 1
                for _ in range(count):
                    terms.append(current)
                    # the term as it stands now
                    current, following = following, current + following
                return terms
            """
        )
        in found
    )


def test_the_last_statement_of_a_block_swaps_only_backwards() -> None:
    found = wide_variants(FIB, "terms.append(current)", "swap_statements")
    assert len(found) == 1


def test_definitions_do_not_move() -> None:
    source = code(
        """
        def first():
            return 1
        def second():
            return 2
        """
    )
    assert wide_variants(source, "def second", "swap_statements") == []
