"""Factories for articles and the taxonomy around them.

Pages are created through Wagtail's tree API and published through a revision,
the way an editor's work reaches readers.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import factory
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage

from masthead.articles.enums import ArticleKind
from masthead.articles.models import ArticleAuthor, ArticleIndexPage, ArticlePage, Author, Country, Topic
from masthead.core.models import MastheadImage
from masthead.home.models import HomePage


def _jpeg(width: int = 320, height: int = 180, colour: tuple[int, int, int] = (40, 70, 110)) -> ImageFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return ImageFile(buffer, name="test.jpg")


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MastheadImage

    title = factory.Sequence(lambda n: f"Test image {n}")
    description = "A harbour at dusk with cranes against the sky"
    credit = "Photo: Test Photographer / Test Agency"
    file = factory.LazyFunction(_jpeg)


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Author Number{n}")
    slug = factory.Sequence(lambda n: f"author-{n}")
    bio = "Writes about maritime security and the politics of ports."
    affiliation = "Fellow, Institute for Testing Studies"


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    description = "Coverage of a subject our editors follow closely."


def article_index() -> ArticleIndexPage:
    """The one article archive, created under the home page on first use."""
    existing = ArticleIndexPage.objects.first()
    if existing is not None:
        return existing
    home = HomePage.objects.get()
    index = ArticleIndexPage(title="Analysis", slug="analysis")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def paragraphs(*texts: str) -> list[tuple[str, str]]:
    return [("paragraph", f"<p>{text}</p>") for text in texts]


def default_body(count: int = 6) -> list[tuple[str, str]]:
    return paragraphs(*(f"Paragraph {n} of the argument, with evidence and context." for n in range(1, count + 1)))


_counter = iter(range(1, 10**9))


def make_article(
    *,
    title: str | None = None,
    dek: str = "A one-sentence summary of what the article argues.",
    kind: str = ArticleKind.DAILY_ANALYSIS,
    body: Sequence[tuple[str, object]] | None = None,
    authors: Sequence[Author] = (),
    topics: Sequence[Topic] = (),
    countries: Sequence[Country] = (),
    lead_image: MastheadImage | None = None,
    published_at: dt.datetime | None = None,
    live: bool = True,
    **fields,
) -> ArticlePage:
    """An article under the archive, published unless `live=False`."""
    number = next(_counter)
    article = ArticlePage(
        title=title or f"Headline number {number}",
        slug=f"article-{number}",
        dek=dek,
        kind=kind,
        body=list(body if body is not None else default_body()),
        lead_image=lead_image,
        live=False,
        # Before publishing, which keeps it (and indexes the article with it), as an import would set it.
        first_published_at=published_at if live else None,
        **fields,
    )
    article.topics = list(topics)
    article.countries = list(countries)
    article.article_authors = [
        ArticleAuthor(author=author, sort_order=i) for i, author in enumerate(authors or [AuthorFactory()])
    ]
    article_index().add_child(instance=article)
    article.save_revision()
    if live:
        article.get_latest_revision().publish()
        article.refresh_from_db()
    return article


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)
