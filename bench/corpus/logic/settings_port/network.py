"""Parsing network settings from environment-style strings."""

DEFAULT_HOST = "127.0.0.1"


def parse_port(value: str | None) -> int | None:
    """The port as an int, None when unset; out-of-range ports are refused."""
    port = int(value.strip())
    if not 0 < port < 65536:
        raise ValueError(f"port {port} out of range")
    return port


def parse_address(text: str) -> tuple[str, int | None]:
    host, _, port = text.partition(":")
    return host or DEFAULT_HOST, parse_port(port or None)
