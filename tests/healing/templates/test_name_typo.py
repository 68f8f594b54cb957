"""Name typos resolve to the closest name in scope or a missing stdlib import."""

from app.healing.templates.name_typo import NameTypo
from tests.healing.templates.helpers import edits_for


def test_misspelt_local_is_renamed_on_the_crash_line_only() -> None:
    before = "def area(width, height):\n    result = width * hieght\n    return result\n"

    edits = edits_for(NameTypo(), before, 2, "NameError", "name 'hieght' is not defined")

    assert edits[0] == "def area(width, height):\n    result = width * height\n    return result\n"


def test_missing_stdlib_import_is_added_after_existing_imports() -> None:
    before = '"""Doc."""\nimport os\n\n\ndef dump(x):\n    return json.dumps(x)\n'

    edits = edits_for(NameTypo(), before, 6, "NameError", "name 'json' is not defined")

    assert (
        edits[-1]
        == '"""Doc."""\nimport os\nimport json\n\n\ndef dump(x):\n    return json.dumps(x)\n'
    )
