"""URL slugs for blog posts."""

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slugify(title: str, max_length: int = 60) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _NOT_WORD.sub("-", ascii_title.lower())
    slug = slug.rstrip("-")
    return slug[:max_length].rstrip("-")


def unique_slug(title: str, taken: set[str]) -> str:
    base = slugify(title)
    slug, counter = base, 2
    while slug in taken:
        slug = f"{base}-{counter}"
        counter += 1
    return slug
