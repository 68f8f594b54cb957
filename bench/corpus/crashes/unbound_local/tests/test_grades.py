from school.grades import grade


def test_top_score_is_an_a():
    assert grade(95) == "A"


def test_middle_score_is_a_b():
    assert grade(60) == "B"
