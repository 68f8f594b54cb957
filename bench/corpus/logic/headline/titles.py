"""Headlines for articles: the first word stands out."""


def first_word(text):
    words = text.split()
    return words[0].capitalize()


def shout(text):
    return text.upper() + "!"
