from directory import Directory, User

USERS = [
    User("ada", "Ada@Example.org", "Ada Lovelace"),
    User("grace", "grace@example.org"),
]


def test_find_ignores_case_and_spaces():
    assert Directory(USERS).find("  ada@example.ORG ").username == "ada"


def test_unknown_address_is_shown_as_is():
    assert Directory(USERS).display_name("nobody@example.org") == "nobody@example.org"


def test_full_name_is_preferred():
    assert Directory(USERS).display_name("ada@example.org") == "Ada Lovelace <Ada@Example.org>"


def test_username_when_no_full_name():
    assert Directory(USERS).display_name("grace@example.org") == "grace <grace@example.org>"
