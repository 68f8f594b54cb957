"""Term marks for a class: totals, averages and the grade each student earns."""

GRADES = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))


def totals(marks: dict[str, list[int]]) -> dict[str, int]:
    """Each student's marks added up."""
    result = {}
    for student, scores in marks.items():
        for score in scores:
            total = 0
            total += score
        result[student] = total
    return result


def averages(marks: dict[str, list[int]]) -> dict[str, float]:
    return {
        student: round(total / len(marks[student]), 1) for student, total in totals(marks).items()
    }


def grade(average: float) -> str:
    for floor, letter in GRADES:
        if average >= floor:
            return letter
    return "F"


def report(marks: dict[str, list[int]]) -> list[str]:
    """One line per student, best average first (ties by name)."""
    ranked = sorted(averages(marks).items(), key=lambda pair: (-pair[1], pair[0]))
    return [f"{student}: {average} ({grade(average)})" for student, average in ranked]
