"""The teaser: the opening of an article body, cut on the server before rendering."""

from collections.abc import Iterable, Sequence
from typing import Any

DEFAULT_TEASER_PARAGRAPHS = 3


def teaser_end(block_types: Sequence[str], *, paragraphs: int) -> int:
    """How many of the body's blocks the teaser shows: up to and including its Nth paragraph.

    Headings, quotes and figures before that paragraph come along; nothing after
    it does. A body with fewer paragraphs is cut before its last one, so a
    teaser never shows a whole gated article.
    """
    paragraph_positions = [i for i, block_type in enumerate(block_types) if block_type == "paragraph"]
    if not paragraph_positions:
        return 0
    limit = max(0, min(paragraphs, len(paragraph_positions) - 1))
    if limit == 0:
        return 0
    return paragraph_positions[limit - 1] + 1


def teaser_blocks(blocks: Iterable[Any], *, paragraphs: int) -> list[Any]:
    """The teaser's blocks (see `teaser_end`) of a body's decoded blocks."""
    blocks = list(blocks)
    return blocks[: teaser_end([block.block_type for block in blocks], paragraphs=paragraphs)]


def teaser_raw_blocks(raw_blocks: Iterable[dict], *, paragraphs: int) -> list[dict]:
    """The same cut on a body's stored form (`StreamValue.raw_data`), decoding nothing (no image queries)."""
    raw_blocks = list(raw_blocks)
    return raw_blocks[: teaser_end([block["type"] for block in raw_blocks], paragraphs=paragraphs)]


def gated_block_count(blocks: Sequence[Any], teaser: Sequence[Any]) -> int:
    return len(blocks) - len(teaser)
