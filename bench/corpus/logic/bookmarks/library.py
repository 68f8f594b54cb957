"""A bookmark library: tags, look-up by tag, and a tag cloud."""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Bookmark:
    url: str
    title: str
    tags: list[str] = field(default_factory=list)


def with_tag(bookmarks: list[Bookmark], tag: str) -> list[str]:
    return [bookmark.url for bookmark in bookmarks if tag in bookmark.tags]


def all_tags(bookmarks: list[Bookmark]) -> list[str]:
    """Every tag of every bookmark, in order, repeats included."""
    tags: list[str] = []
    for bookmark in bookmarks:
        tags.append(bookmark.tags)
    return tags


def tag_cloud(bookmarks: list[Bookmark], top: int = 3) -> list[tuple[str, int]]:
    """The most used tags and their counts."""
    return Counter(all_tags(bookmarks)).most_common(top)


def untagged(bookmarks: list[Bookmark]) -> list[str]:
    return [bookmark.title for bookmark in bookmarks if not bookmark.tags]
