"""Regression tests from a described bug: the prompt shows the code without secrets, and only a
new, valid test file under tests/ is accepted from the answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.errors import PermanentError
from app.healing.llm_tests import build_test_prompt, parse_written_test
from app.healing.localise import RepositoryFiles

TEST = (
    "from shop.orders import total\n\n\n"
    "def test_total_counts_quantity():\n"
    "    assert total({'price': 2, 'qty': 3}) == 6\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "orders.py").write_text(
        'API_TOKEN = "tok-very-secret-value-123"\n\n\ndef total(order):\n'
        '    return order["price"]\n'
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_orders.py").write_text("def test_nothing():\n    pass\n")
    return tmp_path


def answer(**fields: object) -> str:
    return f"Here it is:\n```json\n{json.dumps(fields)}\n```\n"


def test_prompt_shows_description_and_code_but_no_secret(repo: Path) -> None:
    [system, user] = build_test_prompt("the total ignores quantity", RepositoryFiles(repo))

    assert "FAIL" in system["content"] and "tests/" in system["content"]
    assert "the total ignores quantity" in user["content"]
    assert (
        'return order["price"]' in user["content"] and "`tests/test_orders.py`" in user["content"]
    )
    assert "tok-very-secret-value-123" not in user["content"]


def test_a_new_test_file_under_tests_is_accepted(repo: Path) -> None:
    written = parse_written_test(
        answer(path="tests/test_quantity.py", content=TEST, explanation="Quantity counts."), repo
    )

    assert written.path == "tests/test_quantity.py"
    assert written.content == TEST and written.explanation == "Quantity counts."


@pytest.mark.parametrize(
    ("path", "content", "reason"),
    [
        ("tests/test_orders.py", TEST, "already exists"),
        ("shop/test_orders_new.py", TEST, "not inside tests/"),
        ("tests/../shop/test_x.py", TEST, "not inside tests/"),
        ("/tmp/tests/test_x.py", TEST, "not inside tests/"),
        ("tests/quantity.py", TEST, "not named test_"),
        ("tests/test_broken.py", "def test_x(:\n    pass\n", "not valid Python"),
        ("tests/test_empty.py", "import shop\n", "no test function"),
    ],
)
def test_anything_but_a_new_valid_test_file_is_refused(
    repo: Path, path: str, content: str, reason: str
) -> None:
    with pytest.raises(PermanentError, match=reason):
        parse_written_test(answer(path=path, content=content), repo)


def test_an_answer_that_is_not_json_is_refused(repo: Path) -> None:
    with pytest.raises(PermanentError, match="not the JSON test file"):
        parse_written_test("def test_x():\n    assert False\n", repo)
