"""A small in-memory user directory."""


def find_user(users, name):
    for user in users:
        if user["name"] == name:
            return user
    return None


def user_email(users, name):
    user = find_user(users, name)
    return user["email"]
