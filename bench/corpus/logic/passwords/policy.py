"""Password policy checks for sign-up."""

import string
from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    min_length: int = 10
    require_digit: bool = True
    require_symbol: bool = False


def problems(password: str, policy: Policy = Policy()) -> list[str]:
    found = []
    if len(password) < policy.min_length:
        found.append(f"at least {policy.min_length} characters")
    if policy.require_digit and not all(char.isdigit() for char in password):
        found.append("a digit")
    if policy.require_symbol and not any(char in string.punctuation for char in password):
        found.append("a symbol")
    return found


def is_acceptable(password: str, policy: Policy = Policy()) -> bool:
    return not problems(password, policy)
