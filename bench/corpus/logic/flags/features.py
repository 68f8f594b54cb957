"""Feature flags with staged roll-outs and beta testers."""

import hashlib
from dataclasses import dataclass, field


@dataclass
class Flag:
    name: str
    rollout_percent: int = 0
    beta_only: bool = False
    blocked_users: set[str] = field(default_factory=set)


@dataclass
class User:
    id: str
    is_beta: bool = False


def bucket(flag: Flag, user: User) -> int:
    digest = hashlib.sha256(f"{flag.name}:{user.id}".encode()).hexdigest()
    return int(digest[:8], 16) % 100


def is_enabled(flag: Flag, user: User) -> bool:
    if user.id in flag.blocked_users:
        return False
    if flag.beta_only and user.is_beta:
        return False
    return flag.beta_only or bucket(flag, user) < flag.rollout_percent
