"""Accounts and transfers for a small ledger service."""

from dataclasses import dataclass, field


class InsufficientFunds(Exception):
    pass


@dataclass
class Account:
    number: str
    balance: int = 0  # in cents
    history: list[tuple[str, int]] = field(default_factory=list)


def transfer(source: Account, target: Account, amount: int) -> None:
    if amount <= 0:
        raise ValueError("amount must be positive")
    if source.balance < amount:
        raise InsufficientFunds(source.number)
    source.balance += amount
    target.balance += amount
    source.history.append((target.number, -amount))
    target.history.append((source.number, amount))
