"""Plain-text views of an article body, for word counts, descriptions and summaries."""

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
