"""Scaling exam scores against the best one."""


def normalised(scores):
    best = max(scores)
    scaled = [score / best for score in scores]


def passed(scores, mark):
    return [score for score in scores if score >= mark]
