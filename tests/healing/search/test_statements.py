"""Removed statements."""

from tests.healing.search.helpers import code, variants


def test_removed_statement_keeps_the_comment_above() -> None:
    source = code(
        """
        def normalise(tags):
            tags = [tag.strip() for tag in tags]
            # Lower-case for comparison.
            tags.sort()
            return tags
        """
    )
    assert variants(source, "tags.sort", "remove_statement") == [
        code(
            """
            def normalise(tags):
                tags = [tag.strip() for tag in tags]
                # Lower-case for comparison.
                return tags
            """
        )
    ]


def test_the_only_statement_of_a_block_becomes_pass() -> None:
    source = code(
        """
        def reset(cache):
            if cache:
                cache.clear()
        """
    )
    assert variants(source, "cache.clear", "remove_statement") == [
        source.replace("cache.clear()", "pass")
    ]


def test_docstrings_and_definitions_are_never_removed() -> None:
    source = code(
        '''
        def documented():
            """Say what this does."""
            return 1
        '''
    )
    assert variants(source, "Say what", "remove_statement") == []
    assert variants(source, "def documented", "remove_statement") == []
