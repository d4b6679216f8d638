"""Sections an editor arranges on the home page."""

from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from masthead.articles.enums import ArticleKind


class LatestBlock(blocks.StructBlock):
    """The newest articles, of one kind or of every kind."""

    heading = blocks.CharBlock(max_length=80)
    kind = blocks.ChoiceBlock(choices=[("", "Every kind"), *ArticleKind.choices], required=False)
    count = blocks.IntegerBlock(min_value=1, max_value=12, default=4)

    class Meta:
        icon = "date"
        label = "Latest articles"


class TopicSectionBlock(blocks.StructBlock):
    topic = SnippetChooserBlock("articles.Topic")
    count = blocks.IntegerBlock(min_value=1, max_value=12, default=4)

    class Meta:
        icon = "tag"
        label = "Topic section"


class RegionSectionBlock(blocks.StructBlock):
    region = SnippetChooserBlock("articles.WorldRegion")
    count = blocks.IntegerBlock(min_value=1, max_value=12, default=4)

    class Meta:
        icon = "globe"
        label = "Region section"


class PicksBlock(blocks.StructBlock):
    """Hand-picked articles, in the editor's order."""

    heading = blocks.CharBlock(max_length=80)
    articles = blocks.ListBlock(blocks.PageChooserBlock(page_type="articles.ArticlePage"), min_num=1, max_num=8)

    class Meta:
        icon = "list-ul"
        label = "Editors' picks"


class HomeSectionsBlock(blocks.StreamBlock):
    latest = LatestBlock()
    topic = TopicSectionBlock()
    region = RegionSectionBlock()
    picks = PicksBlock()
