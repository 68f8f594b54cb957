"""What decides whether a candidate can be validated warm, and which tests its change reaches."""

from __future__ import annotations

import textwrap

import pytest

from app.healing.warm.plan import changed_functions, cold_reason, pytest_args, third_party_imports

MODULE = textwrap.dedent(
    """
    import re

    LIMIT = 3


    def first(items):
        if not items:
            return None
        return items[0]


    class Box:
        size = 2

        def grow(self, by):
            self.size += by
            return self.size
    """
).lstrip()


def test_pytest_arguments_are_read_from_the_command() -> None:
    assert pytest_args("python -m pytest -q tests/unit") == ["-q", "tests/unit"]
    assert pytest_args("pytest -x") == ["-x"]
    assert pytest_args("python3 -m pytest") == []
    assert pytest_args("python -m unittest discover") is None
    assert pytest_args("tox -e py") is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("fast/_speedups.pyx", "a compiled module changes (fast/_speedups.pyx)"),
        ("native/ext.c", "a compiled module changes (native/ext.c)"),
        ("tests/conftest.py", "conftest.py changes (tests/conftest.py)"),
        ("conftest.py", "conftest.py changes (conftest.py)"),
        ("setup.cfg", "a file other than a Python module changes (setup.cfg)"),
    ],
)
def test_changes_warm_runs_cannot_apply_are_named(path: str, expected: str) -> None:
    assert cold_reason({path: "x = 1\n"}, {path: "x = 0\n"}) == expected


@pytest.mark.parametrize(
    "effect",
    [
        "print('loaded')",
        "os.makedirs('cache', exist_ok=True)",
        "os.environ['MODE'] = 'test'",
        "for name in ('a', 'b'):\n    register(name)",
        "with open('log.txt', 'w') as handle:\n    handle.write('x')",
    ],
)
def test_a_module_with_import_time_effects_is_validated_cold(effect: str) -> None:
    source = f"import os\n\n{effect}\n\n\ndef f():\n    return 1\n"
    reason = cold_reason({"app.py": source}, {"app.py": "def f():\n    return 1\n"})
    assert reason == "a module with import-time side effects changes (app.py)"


def test_definitions_guards_and_main_blocks_are_no_import_time_effect() -> None:
    source = MODULE + textwrap.dedent(
        """
        try:
            import ujson as json
        except ImportError:
            import json

        if __name__ == "__main__":
            print(first([1]))
        """
    )
    assert cold_reason({"pkg/mod.py": source}, {"pkg/mod.py": MODULE}) is None
    assert cold_reason({"pkg/new.py": "def f():\n    return 2\n"}, {"pkg/new.py": None}) is None


def test_a_change_inside_a_function_names_that_function() -> None:
    changed = MODULE.replace("return items[0]", "return items[-1]")
    assert changed_functions(MODULE, changed) == [(6, 9)]


def test_a_guard_inserted_at_the_top_of_a_method_names_the_method() -> None:
    changed = MODULE.replace(
        "    def grow(self, by):\n",
        "    def grow(self, by):\n        if by is None:\n            return 0\n",
    )
    assert changed_functions(MODULE, changed) == [(15, 17)]


@pytest.mark.parametrize(
    "changed",
    [
        MODULE.replace("LIMIT = 3", "LIMIT = 4"),  # module level: any test may see it
        MODULE.replace("size = 2", "size = 3"),  # class body
        MODULE + "\n\ndef added():\n    return 1\n",  # appended after the last function
        "import re\n" + MODULE,  # inserted before the first line
    ],
)
def test_a_change_outside_every_function_reaches_every_test(changed: str) -> None:
    assert changed_functions(MODULE, changed) is None


def test_a_new_or_unparsable_file_reaches_every_test() -> None:
    assert changed_functions(None, "def f():\n    pass\n") is None
    assert changed_functions("def f(:\n", "def f():\n    pass\n") is None


def test_third_party_imports_leave_out_the_repository_own_modules() -> None:
    sources = [
        "import os\nimport requests.adapters\nfrom shop import orders\nfrom . import x\n",
        "from __future__ import annotations\nfrom attr import define\n",
        "def f():\n    import numpy\n",
    ]
    assert third_party_imports(sources, frozenset({"shop"})) == ["os", "requests", "attr"]
