"""Another variable of the same kind in scope."""

from tests.healing.search.helpers import code, swapped, variants

SOURCE = code(
    """
    import os

    LIMIT = 10


    def area(width, height):
        depth = 1
        return width * width * depth
    """
)


def test_variables_in_scope_replace_one_occurrence_at_a_time() -> None:
    found = variants(SOURCE, "return", "variable")
    assert swapped(SOURCE, "width * width * depth", "width * height * depth") in found
    assert swapped(SOURCE, "width * width * depth", "height * width * depth") in found
    assert swapped(SOURCE, "width * width * depth", "width * width * LIMIT") in found


def test_imports_functions_and_builtins_are_not_variables() -> None:
    found = variants(SOURCE, "return", "variable")
    for name in ("os", "area", "len"):
        assert not any(f" {name} " in variant.splitlines()[-1] + " " for variant in found)


def test_names_of_enclosing_class_body_are_not_visible_in_methods() -> None:
    source = code(
        """
        class Box:
            padding = 2

            def inner(self, outer):
                margin = 1
                return outer - margin
        """
    )
    found = variants(source, "return", "variable")
    assert swapped(source, "outer - margin", "outer - outer") in found
    assert not any("padding" in variant.splitlines()[-1] for variant in found)


def test_only_variables_of_a_compatible_kind_stand_in() -> None:
    source = code(
        """
        def label(names: list, count):
            title = "items"
            heading = "Items"
            size = len(names)
            return title + ": " + str(count)
        """
    )
    found = variants(source, "return title", "variable")
    assert any('return heading + ": "' in text for text in found)
    # `names` holds a list and `size` a count: neither stands in for text.
    assert not any("return size +" in text or "return names +" in text for text in found)


def test_a_literal_step_can_become_a_number_the_function_holds() -> None:
    source = code(
        """
        def batches(items, size: int):
            found = []
            offset = 0
            while offset < len(items):
                found.append(items[offset : offset + size])
                offset += 1
            return found
        """
    )
    found = variants(source, "offset += 1", "variable")
    # `offset += offset` is not proposed: the statement's own target is left out.
    assert swapped(source, "offset += 1", "offset += size") in found
    assert swapped(source, "offset += 1", "offset += offset") not in found


def test_a_literal_is_not_replaced_by_a_name_of_another_kind() -> None:
    source = code(
        """
        def greet(name: str, times=2):
            words = [name]
            return " ".join(words * 3)
        """
    )
    found = variants(source, "return", "variable")
    assert swapped(source, "* 3", "* times") in found
    assert swapped(source, "* 3", "* name") not in found
