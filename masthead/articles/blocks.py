"""The blocks an article body is built from.

Every paragraph is its own block so the server can cut a teaser after
the first N paragraphs without parsing HTML.
"""

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

INLINE_FEATURES = ["bold", "italic", "link", "superscript", "subscript", "strikethrough"]


class ParagraphBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        super().__init__(features=INLINE_FEATURES, **kwargs)

    class Meta:
        icon = "pilcrow"
        template = "articles/blocks/paragraph.html"


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        form_classname = "title"
        template = "articles/blocks/heading.html"


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(max_length=400)
    attribution = blocks.CharBlock(required=False, max_length=120)

    class Meta:
        icon = "openquote"
        template = "articles/blocks/pull_quote.html"


class BlockQuoteBlock(blocks.StructBlock):
    text = blocks.RichTextBlock(features=INLINE_FEATURES)
    source = blocks.CharBlock(required=False, max_length=200, help_text="Who said or wrote it.")

    class Meta:
        icon = "doc-full"
        template = "articles/blocks/block_quote.html"


class FigureBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = blocks.CharBlock(required=False, max_length=300)
    credit = blocks.CharBlock(
        required=False, max_length=200, help_text="Leave empty to use the credit stored with the image."
    )

    class Meta:
        icon = "image"
        template = "articles/blocks/figure.html"


class RelatedReadingBlock(blocks.StructBlock):
    """A footnote-style pointer to more reading, inside this publication or outside it."""

    article = blocks.PageChooserBlock(page_type="articles.ArticlePage", required=False)
    url = blocks.URLBlock(required=False, help_text="For reading elsewhere; leave empty when choosing an article.")
    title = blocks.CharBlock(required=False, max_length=200, help_text="Defaults to the chosen article's headline.")

    def clean(self, value):
        value = super().clean(value)
        if not value.get("article") and not value.get("url"):
            raise blocks.StructBlockValidationError(
                block_errors={"article": ValidationError("Choose an article or give a link.")}
            )
        if value.get("url") and not value.get("title"):
            raise blocks.StructBlockValidationError(
                block_errors={"title": ValidationError("A link to elsewhere needs a title.")}
            )
        return value

    class Meta:
        icon = "link"
        template = "articles/blocks/related_reading.html"


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = ParagraphBlock()
    heading = HeadingBlock()
    pull_quote = PullQuoteBlock()
    block_quote = BlockQuoteBlock()
    image = FigureBlock()
    related_reading = RelatedReadingBlock()

    class Meta:
        block_counts = {"paragraph": {"min_num": 1}}
