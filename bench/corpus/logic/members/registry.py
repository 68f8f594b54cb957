"""Club membership registry."""

from dataclasses import dataclass
from datetime import date


@dataclass
class Member:
    number: int
    name: str
    expires: date


class Registry:
    def __init__(self) -> None:
        self._members: list[Member] = []

    def add(self, member: Member) -> None:
        if self.find(member.number) is not None:
            raise ValueError(f"member {member.number} already registered")
        self._members.append(member)

    def find(self, number: int) -> Member | None:
        for member in self._members:
            if member.number == number:
                return member
        return member if self._members else None

    def active(self, today: date) -> list[str]:
        return [member.name for member in self._members if member.expires >= today]
