"""Plain-text views of an article body, for word counts, descriptions and summaries, and of a headline's words."""

import re
from collections.abc import Iterator

from django.utils.html import strip_tags
from wagtail.blocks import StreamValue
from wagtail.rich_text import RichText


def body_text_blocks(body: StreamValue) -> Iterator[str]:
    """The readable text of each body block, in order, without markup."""
    for block in body:
        value = block.value
        if block.block_type == "paragraph" and isinstance(value, RichText):
            yield strip_tags(value.source)
        elif block.block_type == "heading":
            yield str(value)
        elif block.block_type == "pull_quote":
            yield value["quote"]
        elif block.block_type == "block_quote":
            yield strip_tags(value["text"].source)


def body_word_count(body: StreamValue) -> int:
    return sum(len(text.split()) for text in body_text_blocks(body))


def raw_text_blocks(raw_blocks) -> Iterator[str]:
    """`body_text_blocks` of a body's stored form (`StreamValue.raw_data` items): the same text, nothing decoded."""
    for block in raw_blocks:
        kind, value = block["type"], block["value"]
        if kind == "paragraph" and isinstance(value, str):
            yield strip_tags(value)
        elif kind == "heading" and isinstance(value, str):
            yield value
        elif kind == "pull_quote" and isinstance(value, dict):
            yield str(value.get("quote", ""))
        elif kind == "block_quote" and isinstance(value, dict):
            yield strip_tags(str(value.get("text", "")))


HEADLINE_KEY_LENGTH = 255  # Page.title's own maximum
_WORD = re.compile(r"[^\W_]+")


def normalised_words(text: str) -> tuple[str, ...]:
    """The words of a text (a headline, a query), lower case, with punctuation and spacing left out."""
    return tuple(_WORD.findall(text.lower()))


def headline_key(text: str) -> str:
    """What an exact headline match compares (`ArticlePage.headline_key`): the words, one space apart."""
    return " ".join(normalised_words(text))[:HEADLINE_KEY_LENGTH]
