"""Another builtin, method or attribute of the same kind."""

from tests.healing.search.helpers import code, swapped, variants


def test_min_becomes_max() -> None:
    source = code(
        """
        def cap(value, ceiling):
            return min(value, ceiling)
        """
    )
    assert variants(source, "return", "builtin") == [swapped(source, "min(", "max(")]


def test_shadowed_builtin_is_left_alone() -> None:
    source = code(
        """
        def pick(values, min):
            return min(values)
        """
    )
    assert variants(source, "return", "builtin") == []


def test_related_method_replaces_a_called_method_only() -> None:
    source = code(
        """
        def is_script(path):
            return path.name.startswith(".py")
        """
    )
    assert variants(source, "return", "method") == [swapped(source, "startswith", "endswith")]


def test_sibling_attribute_of_the_same_receiver() -> None:
    source = code(
        """
        class Rect:
            def __init__(self, width, height):
                self.width = width
                self.height = height

            def area(self):
                return self.width * self.width
        """
    )
    found = variants(source, "return", "attribute")
    assert swapped(source, "self.width * self.width", "self.width * self.height") in found
    assert swapped(source, "self.width * self.width", "self.height * self.width") in found


def test_truncation_becomes_rounding() -> None:
    source = code(
        """
        def to_cents(amount):
            return int(amount * 100)
        """
    )
    assert variants(source, "return", "builtin") == [swapped(source, "int(", "round(")]


def test_rounding_has_the_alternatives_of_both_its_families() -> None:
    source = code(
        """
        def whole(amount):
            return round(amount)
        """
    )
    found = variants(source, "return", "builtin")
    assert swapped(source, "round(", "int(") in found
    assert swapped(source, "round(", "trunc(") in found
