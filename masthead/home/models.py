from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from .blocks import HomeSectionsBlock

if TYPE_CHECKING:
    from django.http import HttpRequest


class HomePage(Page):
    lead_story = models.ForeignKey(
        "articles.ArticlePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The story at the top of the front page. Empty: the newest article.",
    )
    lead_story_label = models.CharField(max_length=40, blank=True, help_text="E.g. 'Analysis' or 'Deep dive'.")
    sections = StreamField(HomeSectionsBlock(), blank=True, help_text="The front page below the lead, in order.")

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel([FieldPanel("lead_story"), FieldPanel("lead_story_label")], heading="Lead story"),
        FieldPanel("sections"),
    ]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    def serve(self, request: HttpRequest, *args, **kwargs):
        from masthead.articles.serving import kept_page

        # The same front page for every reader: rendered once per content version (masthead.articles.serving).
        return kept_page(request, lambda: super(HomePage, self).serve(request, *args, **kwargs), page=self)

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from .selectors import front_page

        context = super().get_context(request, *args, **kwargs)
        context["front"] = front_page(home=self)
        return context
