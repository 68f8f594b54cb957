from deploy.config import database_host, database_port


def test_host_is_read_from_the_database_section():
    assert database_host({"database": {"host": "db.internal"}}) == "db.internal"


def test_port_defaults_to_5432():
    assert database_port({}) == 5432
