from teams.members import first_admin, names

TEAM = [{"name": "ana", "admin": False}, {"name": "bob", "admin": True}]


def test_first_admin_is_found():
    assert first_admin(TEAM)["name"] == "bob"


def test_names_keep_order():
    assert names(TEAM) == ["ana", "bob"]
