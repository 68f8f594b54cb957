from accounts.directory import find_user, user_email

USERS = [{"name": "ana", "email": "ana@example.org"}]


def test_email_of_a_known_user():
    assert user_email(USERS, "ana") == "ana@example.org"


def test_unknown_user_is_not_found():
    assert find_user(USERS, "bob") is None
