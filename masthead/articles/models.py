"""Articles, the people who write them, and the taxonomy hubs are built on."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import DatabaseError, models
from django.urls import reverse
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    MultipleChooserPanel,
)
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from .blocks import ArticleBodyBlock
from .enums import ArticleKind
from .text import HEADLINE_KEY_LENGTH, headline_key

if TYPE_CHECKING:
    from django.http import HttpRequest

WORDS_PER_MINUTE = 230


class HubMixin(models.Model):
    """What every hub (topic, region, country, author) lets an editor choose."""

    description = models.TextField(blank=True, help_text="One or two sentences shown at the top of the hub.")
    lead_article = models.ForeignKey(
        "articles.ArticlePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The deep dive shown first on this hub.",
    )

    class Meta:
        abstract = True


class Topic(HubMixin, index.Indexed, models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    featured = models.BooleanField(default=False, help_text="Show in the site's main navigation.")
    sort_order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers come first in navigation.")

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("lead_article"),
        FieldRowPanel([FieldPanel("featured"), FieldPanel("sort_order")]),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:topic", kwargs={"slug": self.slug})


class WorldRegion(HubMixin, models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description"), FieldPanel("lead_article")]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = "world region"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:region", kwargs={"slug": self.slug})


class Country(HubMixin, index.Indexed, models.Model):
    """A country or territory, by its ISO 3166-1 alpha-2 code."""

    code = models.CharField(max_length=2, unique=True, help_text="ISO 3166-1 alpha-2, e.g. AF.")
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    region = models.ForeignKey(WorldRegion, on_delete=models.PROTECT, related_name="countries")

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("code")]),
        FieldPanel("slug"),
        FieldPanel("region"),
        FieldPanel("description"),
        FieldPanel("lead_article"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name"), index.FilterField("code")]

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:country", kwargs={"slug": self.slug})


class Author(index.Indexed, models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    bio = models.TextField(max_length=600, blank=True, help_text="Two or three sentences, shown under articles.")
    affiliation = models.CharField(max_length=200, blank=True, help_text="E.g. 'Senior fellow, Example Institute'.")
    photo = models.ForeignKey("core.MastheadImage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    x_handle = models.CharField("X handle", max_length=50, blank=True, help_text="Without the @.")
    bluesky_handle = models.CharField(max_length=100, blank=True, help_text="E.g. name.bsky.social")
    mastodon_handle = models.CharField(max_length=120, blank=True, help_text="E.g. @name@example.social")
    website = models.URLField(blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("affiliation"),
        FieldPanel("bio"),
        FieldPanel("photo"),
        MultiFieldPanel(
            [
                FieldPanel("x_handle"),
                FieldPanel("bluesky_handle"),
                FieldPanel("mastodon_handle"),
                FieldPanel("website"),
            ],
            heading="Elsewhere",
        ),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name"), index.SearchField("affiliation")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:author", kwargs={"slug": self.slug})

    @property
    def social_links(self) -> list[tuple[str, str]]:
        """(label, url) pairs for the handles the author gave."""
        links = []
        if self.x_handle:
            links.append(("X", f"https://x.com/{self.x_handle.lstrip('@')}"))
        if self.bluesky_handle:
            links.append(("Bluesky", f"https://bsky.app/profile/{self.bluesky_handle.lstrip('@')}"))
        if self.mastodon_handle:
            user, _, server = self.mastodon_handle.lstrip("@").partition("@")
            if user and server:
                links.append(("Mastodon", f"https://{server}/@{user}"))
        if self.website:
            links.append(("Website", self.website))
        return links


class ArticleIndexPage(Page):
    """The archive of every article, newest first; articles live under it."""

    intro = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["articles.ArticlePage"]
    max_count = 1

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        context["articles"] = selectors.paginate(selectors.article_list(), request)
        return context

    def serve(self, request: HttpRequest, *args, **kwargs):
        from .serving import kept_page

        return kept_page(request, lambda: super(ArticleIndexPage, self).serve(request, *args, **kwargs), page=self)


class ArticleAuthor(Orderable):
    page = ParentalKey("articles.ArticlePage", on_delete=models.CASCADE, related_name="article_authors")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="article_links")

    panels = [FieldPanel("author")]

    class Meta(Orderable.Meta):
        unique_together = [("page", "author")]


logger = logging.getLogger(__name__)


def _more_like_this(article: ArticlePage) -> list:
    """Related reading under an article: the search app's "more like this" (shared topics and regions,
    similar words), or, if the search backend fails, the newest articles sharing a topic."""
    from masthead.search.selectors import more_like_this

    from . import selectors

    try:
        return more_like_this(article, limit=3)
    except DatabaseError:
        logger.exception("More like this failed for article %s; showing articles of the same topics", article.pk)
        return selectors.related_articles(article=article, limit=3)


class ArticlePage(Page):
    dek = models.CharField(
        max_length=300, help_text="One sentence under the headline that says what the article argues."
    )
    kind = models.CharField(
        max_length=20, choices=ArticleKind.choices, default=ArticleKind.DAILY_ANALYSIS, db_index=True
    )
    lead_image = models.ForeignKey(
        "core.MastheadImage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead_image_caption = models.CharField(max_length=300, blank=True)
    lead_image_credit = models.CharField(
        max_length=200, blank=True, help_text="Leave empty to use the credit stored with the image."
    )
    pull_quote = models.TextField(max_length=400, blank=True, help_text="Optional; shown beside the body.")
    body = StreamField(ArticleBodyBlock())
    topics = ParentalManyToManyField(Topic, related_name="articles", blank=True)
    countries = ParentalManyToManyField(Country, related_name="articles", blank=True)
    free_for_everyone = models.BooleanField(
        default=False, help_text="Everyone reads this article in full, whatever the paywall says."
    )
    teaser_paragraphs = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Paragraphs shown before the paywall. Empty: the site's default.",
    )
    # The headline's words (`headline_key`), kept on each save: search puts an article whose headline is what the
    # reader typed first, found through this column's index whatever else matches.
    headline_key = models.CharField(max_length=HEADLINE_KEY_LENGTH, editable=False, db_index=True, default="")

    content_panels = [
        FieldPanel("title", help_text="The headline."),
        FieldPanel("dek"),
        FieldPanel("kind"),
        MultipleChooserPanel("article_authors", chooser_field_name="author", label="Authors", min_num=1),
        MultiFieldPanel(
            [FieldPanel("lead_image"), FieldPanel("lead_image_caption"), FieldPanel("lead_image_credit")],
            heading="Lead image",
        ),
        FieldPanel("pull_quote"),
        FieldPanel("body"),
        MultiFieldPanel([FieldPanel("topics"), FieldPanel("countries")], heading="Topics and countries"),
    ]
    settings_panels = [
        FieldPanel(
            "first_published_at",
            help_text="The date readers see. Set on first publication; editable for corrections and imports.",
        ),
        FieldPanel("free_for_everyone"),
        FieldPanel("teaser_paragraphs"),
        *Page.settings_panels,
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("dek", boost=2),
        index.SearchField("body"),
        index.AutocompleteField("title"),
        index.FilterField("kind"),
        index.FilterField("first_published_at"),
        index.FilterField("free_for_everyone"),
        # Facets and filters of the search page (masthead.search): topic, country and region, author.
        index.RelatedFields("topics", [index.FilterField("slug")]),
        index.RelatedFields("countries", [index.FilterField("slug"), index.FilterField("region")]),
        index.RelatedFields("article_authors", [index.FilterField("author")]),
    ]

    parent_page_types = ["articles.ArticleIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "article"

    def save(self, *args, **kwargs):
        self.headline_key = headline_key(self.title)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "title" in update_fields:
            kwargs["update_fields"] = {*update_fields, "headline_key"}
        return super().save(*args, **kwargs)

    def get_context(self, request: HttpRequest, *args, access_view=None, **kwargs) -> dict:
        from masthead.access.decisions import may_give_gifts
        from masthead.access.rendering import article_view
        from masthead.distribution.structured_data import article_structured_data

        from . import selectors

        context = super().get_context(request, *args, **kwargs)
        view = access_view or article_view(request, self)
        context["access"] = view
        context["may_give_gift"] = may_give_gifts(view.decision)
        # Only what the reader may read leaves the server: the teaser is cut here, before rendering.
        context["body_blocks"] = view.blocks
        context["authors"] = authors = selectors.article_authors(article=self)
        context["related"] = _more_like_this(self)
        context["structured_data"] = article_structured_data(
            request=request,
            article=self,
            authors=authors,
            image_url=(
                request.build_absolute_uri(self.lead_image.get_rendition("fill-1200x630").url)
                if self.lead_image
                else None
            ),
            site_name=context.get("site_name") or settings.WAGTAIL_SITE_NAME,
        )
        return context

    def serve(self, request: HttpRequest, *args, **kwargs):
        from masthead.access import views as access_views

        from . import serving

        gift_response = access_views.open_gift_from_request(request, self)
        if gift_response is not None:
            return gift_response
        request.is_preview = False  # type: ignore[attr-defined]  # Wagtail sets this flag in Page.serve too
        route = serving.article_route(self)
        # Wagtail routed this URL here and checked view restrictions: the next request may skip both.
        serving.remember_route(request, self, route)
        return serving.serve_article(request, route, page=self)

    @cached_property
    def word_count(self) -> int:
        from .text import body_word_count

        return body_word_count(self.body)

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.word_count / WORDS_PER_MINUTE))

    @property
    def display_credit(self) -> str:
        if self.lead_image_credit:
            return self.lead_image_credit
        return self.lead_image.credit if self.lead_image else ""
