"""Normalising blog posts before they are indexed."""


def normalised_tags(post):
    tags = post.get("tags")
    return sorted({tag.strip().lower() for tag in tags})


def title(post):
    return post["title"].strip()
