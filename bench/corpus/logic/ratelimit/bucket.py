"""A token-bucket rate limiter for an API gateway."""

from dataclasses import dataclass


@dataclass
class TokenBucket:
    capacity: float
    refill_per_second: float
    tokens: float = 0.0
    updated_at: float = 0.0

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated_at)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.refill_per_second)
        self.updated_at = now

    def allow(self, now: float, cost: float = 1.0) -> bool:
        self._refill(now)
        if self.capacity >= cost:
            self.tokens -= cost
            return True
        return False
