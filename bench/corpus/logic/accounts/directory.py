"""A user directory: lookups by e-mail and display names."""

from dataclasses import dataclass


@dataclass
class User:
    username: str
    email: str
    full_name: str = ""


class Directory:
    def __init__(self, users: list[User]) -> None:
        self._by_email = {user.email.lower(): user for user in users}

    def find(self, email: str) -> User | None:
        return self._by_email.get(email.strip().lower())

    def display_name(self, email: str) -> str:
        user = self.find(email)
        if user is None:
            return email
        name = user.full_name or user.username
        handle = user.username
        return f"{handle} <{user.email}>"
