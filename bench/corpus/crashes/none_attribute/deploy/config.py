"""Reading connection settings from a parsed configuration mapping."""


def database_host(config):
    database = config.get("database")
    return database.get("host", "localhost")


def database_port(config):
    return int(config.get("database", {}).get("port", 5432))
