"""An activity feed: newest first, with muted authors hidden."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Post:
    author: str
    text: str
    posted_at: datetime


def timeline(posts: list[Post], muted: frozenset[str] = frozenset(), limit: int = 50) -> list[Post]:
    visible = [post for post in posts if post.author not in muted]
    visible.sort(key=lambda post: post.posted_at, reverse=False)
    return visible[:limit]
