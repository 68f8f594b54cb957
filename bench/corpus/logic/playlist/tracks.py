"""A playlist: its tracks, running time, and the artists on it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Track:
    title: str
    artist: str
    seconds: int


def total_seconds(tracks: list[Track]) -> int:
    total = 0
    for track in tracks:
        total += track.seconds
        return total


def clock(duration: int) -> str:
    """`h:mm:ss` past an hour, `m:ss` below it."""
    minutes, seconds = divmod(duration, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


def running_time(tracks: list[Track]) -> str:
    return clock(total_seconds(tracks))


def artists(tracks: list[Track]) -> list[str]:
    """Each artist once, in the order they first appear."""
    seen: list[str] = []
    for track in tracks:
        if track.artist not in seen:
            seen.append(track.artist)
    return seen


def longest(tracks: list[Track]) -> Track | None:
    return max(tracks, key=lambda track: track.seconds, default=None)
