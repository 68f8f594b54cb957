from marks import averages, grade, report, totals

MARKS = {"ada": [92, 88, 95], "bob": [70, 65, 80], "cy": [55]}


def test_single_mark_total():
    assert totals({"cy": [55]}) == {"cy": 55}


def test_totals_add_every_mark():
    assert totals(MARKS) == {"ada": 275, "bob": 215, "cy": 55}


def test_averages_are_rounded_to_one_place():
    assert averages(MARKS)["bob"] == 71.7


def test_grade_boundaries():
    assert grade(90) == "A"
    assert grade(89.9) == "B"
    assert grade(12) == "F"


def test_report_best_first():
    assert report({"cy": [55]}) == ["cy: 55.0 (F)"]
    assert report({"cy": [55], "ada": [91], "bob": [91]}) == [
        "ada: 91.0 (A)",
        "bob: 91.0 (A)",
        "cy: 55.0 (F)",
    ]
