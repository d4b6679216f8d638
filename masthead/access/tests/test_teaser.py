from dataclasses import dataclass

from masthead.access.teaser import teaser_blocks


@dataclass
class Block:
    block_type: str
    value: str = ""


def _types(blocks):
    return [block.block_type for block in blocks]


def test_the_teaser_is_the_first_three_paragraphs_and_what_comes_before_them():
    body = [
        Block("paragraph"),
        Block("heading"),
        Block("paragraph"),
        Block("image"),
        Block("paragraph"),
        Block("paragraph"),
    ]
    assert _types(teaser_blocks(body, paragraphs=3)) == ["paragraph", "heading", "paragraph", "image", "paragraph"]


def test_a_per_article_teaser_length_is_respected():
    body = [Block("paragraph")] * 6
    assert len(teaser_blocks(body, paragraphs=1)) == 1
    assert len(teaser_blocks(body, paragraphs=5)) == 5


def test_a_teaser_never_shows_a_whole_article():
    body = [Block("paragraph"), Block("paragraph"), Block("paragraph")]
    assert len(teaser_blocks(body, paragraphs=3)) == 2
    assert teaser_blocks([Block("paragraph")], paragraphs=3) == []


def test_a_body_without_paragraphs_has_no_teaser():
    assert teaser_blocks([Block("heading"), Block("image")], paragraphs=3) == []


def test_the_cut_of_the_stored_body_is_the_cut_of_the_decoded_body():
    import pytest

    from masthead.access.teaser import teaser_raw_blocks

    kinds = ["heading", "paragraph", "image", "paragraph", "pull_quote", "paragraph", "paragraph", "image"]
    for paragraphs in range(0, 6):
        decoded = teaser_blocks([Block(kind) for kind in kinds], paragraphs=paragraphs)
        stored = teaser_raw_blocks([{"type": kind, "value": ""} for kind in kinds], paragraphs=paragraphs)
        assert _types(decoded) == [block["type"] for block in stored], paragraphs
    with pytest.raises(KeyError):
        teaser_raw_blocks([{"value": ""}], paragraphs=1)  # not a stored block: no silent cut
