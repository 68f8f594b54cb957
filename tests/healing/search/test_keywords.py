"""Missing keyword arguments of well-known calls."""

from tests.healing.search.helpers import code, swapped, variants


def test_a_ranking_sorted_lowest_first_gains_reverse() -> None:
    source = code(
        """
        def ranking(scores):
            return sorted(scores.items(), key=lambda entry: entry[1])
        """
    )
    assert variants(source, "return", "keyword_argument") == [
        swapped(source, "entry[1])", "entry[1], reverse=True)")
    ]


def test_a_sort_without_arguments_gains_reverse() -> None:
    source = code(
        """
        def newest_first(stamps):
            stamps.sort()
            return stamps
        """
    )
    assert variants(source, "stamps.sort", "keyword_argument") == [
        swapped(source, "stamps.sort()", "stamps.sort(reverse=True)")
    ]


def test_a_call_laid_out_one_argument_a_line_keeps_its_layout() -> None:
    source = code(
        """
        def ranking(scores):
            return sorted(
                scores,
                key=len,
            )
        """
    )
    assert variants(source, "return", "keyword_argument") == [
        swapped(source, "key=len,\n", "key=len,\n        reverse=True,\n")
    ]


def test_a_sort_that_already_says_its_order_is_left_to_the_constant_flips() -> None:
    source = code(
        """
        def ranking(scores):
            return sorted(scores, reverse=False)
        """
    )
    assert variants(source, "return", "keyword_argument") == []
