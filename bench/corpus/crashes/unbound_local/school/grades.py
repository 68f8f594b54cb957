"""Letter grades from scores."""


def grade(score):
    if score >= 90:
        letter = "A"
    elif score >= 50:
        letter = "B"
    return letter
