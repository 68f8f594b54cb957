import pytest

from board import best_scores, format_row, rank, top

GAMES = [
    ("mika", 1200),
    ("jo", 3400),
    ("mika", 5100),
    ("sam", 800),
    ("ren", 2500),
    ("jo", 900),
]


def test_best_score_per_player():
    assert best_scores(GAMES) == {"mika": 5100, "jo": 3400, "sam": 800, "ren": 2500}


def test_top_players_highest_first():
    assert top(GAMES) == ["mika", "jo", "ren"]


def test_top_of_a_single_player():
    assert top([("sam", 800)]) == ["sam"]


def test_rank():
    assert rank(GAMES, "mika") == 1
    assert rank(GAMES, "sam") == 4
    with pytest.raises(KeyError):
        rank(GAMES, "nobody")


def test_format_row():
    assert format_row(1, "mika", 5100) == " 1. mika          5,100"
