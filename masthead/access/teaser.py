"""The teaser: the opening of an article body, cut on the server before rendering."""

from collections.abc import Iterable, Sequence
from typing import Any

DEFAULT_TEASER_PARAGRAPHS = 3


def teaser_blocks(blocks: Iterable[Any], *, paragraphs: int) -> list[Any]:
    """The body's blocks up to and including its Nth paragraph.

    Headings, quotes and figures before that paragraph come along; nothing after
    it does. A body with fewer paragraphs is cut before its last one, so a
    teaser never shows a whole gated article.
    """
    blocks = list(blocks)
    paragraph_positions = [i for i, block in enumerate(blocks) if block.block_type == "paragraph"]
    if not paragraph_positions:
        return []
    limit = max(0, min(paragraphs, len(paragraph_positions) - 1))
    if limit == 0:
        return []
    return blocks[: paragraph_positions[limit - 1] + 1]


def gated_block_count(blocks: Sequence[Any], teaser: Sequence[Any]) -> int:
    return len(blocks) - len(teaser)
