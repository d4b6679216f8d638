"""The sections of an issue: each a list of articles with an editable summary."""

from django.core.exceptions import ValidationError
from wagtail import blocks

from .enums import SectionKind


class IssueItemBlock(blocks.StructBlock):
    article = blocks.PageChooserBlock(page_type="articles.ArticlePage", required=False)
    headline = blocks.CharBlock(
        required=False,
        max_length=200,
        help_text="Leave empty to use the article's headline. Needed only for an item without an article.",
    )
    summary = blocks.TextBlock(
        required=False,
        help_text=(
            "One or two sentences, sent to every recipient. For a gated article, write from its teaser only: "
            "the summary is not cut for readers who may not read the article."
        ),
    )

    class Meta:
        icon = "doc-full"
        label = "Item"

    def clean(self, value):
        value = super().clean(value)
        if not value.get("article") and not value.get("headline"):
            raise ValidationError("Choose an article or write a headline.")
        return value


def _section(kind: SectionKind) -> blocks.ListBlock:
    return blocks.ListBlock(IssueItemBlock(), label=kind.label, collapsed=False)


class IssueSectionsBlock(blocks.StreamBlock):
    top_stories = _section(SectionKind.TOP_STORIES)
    latest_analysis = _section(SectionKind.LATEST_ANALYSIS)
    on_the_radar = _section(SectionKind.ON_THE_RADAR)
    coming_next = _section(SectionKind.COMING_NEXT)

    class Meta:
        block_counts = {kind.value: {"max_num": 1} for kind in SectionKind}
