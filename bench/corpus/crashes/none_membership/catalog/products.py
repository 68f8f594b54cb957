"""Filtering a product catalogue by tag."""


def has_tag(product, tag):
    tags = product.get("tags")
    return tag in tags


def price(product):
    return round(product["price"], 2)
