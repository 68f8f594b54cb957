"""Moved standard-library names are imported from where they live now."""

from app.healing.templates.moved_import import MovedImport
from tests.healing.templates.helpers import edits_for


def test_from_import_of_a_moved_abc_is_split() -> None:
    before = "from collections import Mapping, OrderedDict\n\nx = 1\n"

    edits = edits_for(
        MovedImport(),
        before,
        1,
        "ImportError",
        "cannot import name 'Mapping' from 'collections' (/usr/lib/python3.11/collections/x.py)",
    )

    assert edits == [
        "from collections import OrderedDict\nfrom collections.abc import Mapping\n\nx = 1\n"
    ]


def test_attribute_use_is_rewritten_and_submodule_imported() -> None:
    before = (
        "import collections\n\n\ndef is_map(x):\n    return isinstance(x, collections.Mapping)\n"
    )

    edits = edits_for(
        MovedImport(),
        before,
        5,
        "AttributeError",
        "module 'collections' has no attribute 'Mapping'",
    )

    assert edits == [
        "import collections\nimport collections.abc\n\n\ndef is_map(x):\n"
        "    return isinstance(x, collections.abc.Mapping)\n"
    ]


def test_renamed_function_in_the_same_module() -> None:
    before = "import time\n\nstart = time.clock()\n"

    edits = edits_for(
        MovedImport(), before, 3, "AttributeError", "module 'time' has no attribute 'clock'"
    )

    assert edits == ["import time\n\nstart = time.perf_counter()\n"]
