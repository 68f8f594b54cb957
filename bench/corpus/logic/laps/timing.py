"""Lap timing for a karting league."""

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Lap:
    driver: str
    seconds: float


def best_laps(laps: list[Lap]) -> dict[str, float]:
    """Each driver's fastest lap."""
    by_driver: dict[str, list[float]] = defaultdict(list)
    for lap in laps:
        by_driver[lap.driver].append(lap.seconds)
    return {driver: max(times) for driver, times in by_driver.items()}


def standings(laps: list[Lap]) -> list[str]:
    best = best_laps(laps)
    return sorted(best, key=lambda driver: (best[driver], driver))
