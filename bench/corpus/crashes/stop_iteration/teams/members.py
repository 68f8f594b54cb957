"""Finding people in a team."""


def first_admin(members):
    return next(member for member in members if member["admin"])


def names(members):
    return [member["name"] for member in members]
