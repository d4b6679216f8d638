import pytest
from wagtail.blocks import StructBlockValidationError

from masthead.articles.blocks import ArticleBodyBlock, RelatedReadingBlock


def test_related_reading_needs_an_article_or_a_link():
    block = RelatedReadingBlock()
    with pytest.raises(StructBlockValidationError):
        block.clean(block.to_python({"article": None, "url": "", "title": ""}))


def test_related_reading_to_elsewhere_needs_a_title():
    block = RelatedReadingBlock()
    with pytest.raises(StructBlockValidationError):
        block.clean(block.to_python({"article": None, "url": "https://example.org/report", "title": ""}))


def test_related_reading_to_elsewhere_with_a_title_is_valid():
    block = RelatedReadingBlock()
    value = block.clean(block.to_python({"article": None, "url": "https://example.org/report", "title": "A report"}))
    assert value["title"] == "A report"


def test_an_article_body_offers_the_blocks_editors_need():
    assert set(ArticleBodyBlock().child_blocks) == {
        "paragraph",
        "heading",
        "pull_quote",
        "block_quote",
        "image",
        "related_reading",
    }
