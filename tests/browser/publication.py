"""A small publication for browser tests: one of each kind of page with real content."""

from dataclasses import dataclass

from masthead.articles.enums import ArticleKind
from masthead.articles.models import ArticlePage, Author, Country, Topic
from masthead.articles.tests.factories import (
    AuthorFactory,
    ImageFactory,
    TopicFactory,
    days_ago,
    make_article,
    paragraphs,
)
from masthead.home.models import HomePage


@dataclass
class Publication:
    lead: ArticlePage
    author: Author
    topic: Topic
    country: Country


def build_publication() -> Publication:
    author = AuthorFactory(
        name="Marisol Eklund-Adeyemi",
        slug="marisol-eklund-adeyemi",
        bio="Writes about river basins, dams and the treaties that govern them.",
        affiliation="Senior fellow, Institute for Upstream Studies",
        x_handle="marisol_ea",
    )
    topic = TopicFactory(name="Water politics", slug="water-politics", featured=True)
    country = Country.objects.get(code="ET")
    image = ImageFactory(
        description="A dam wall seen from the river below", credit="Photo: Kofi Imaginario / Delta Pictures"
    )
    lead = make_article(
        title="The dam that rewrote a river treaty",
        dek="Upstream storage has given one capital a veto its neighbours never agreed to.",
        kind=ArticleKind.IN_DEPTH,
        authors=[author],
        topics=[topic],
        countries=[country, Country.objects.get(code="EG")],
        lead_image=image,
        lead_image_caption="The reservoir filled two seasons early.",
        pull_quote="Whoever controls the sluice controls the conversation.",
        free_for_everyone=True,
        body=paragraphs(
            "For a decade the negotiations turned on a single number: how many cubic metres would pass each year.",
            "The engineers answered that question before the diplomats could, by filling the reservoir early.",
            "Downstream farmers noticed first; ministries noticed a season later.",
            "What follows is a treaty in all but name, written in concrete rather than ink.",
        )
        + [("heading", "Three ways the talks could go")]
        + paragraphs("The first is a monitored release schedule, enforced by a joint commission."),
        published_at=days_ago(1),
    )
    for n in range(3):
        make_article(
            title=f"Briefing: the basin this week, part {n + 1}",
            kind=ArticleKind.BRIEFING,
            authors=[AuthorFactory()],
            topics=[topic],
            countries=[country],
            published_at=days_ago(2 + n),
        )
    home = HomePage.objects.get()
    home.lead_story = lead
    home.sections = [
        ("latest", {"heading": "Latest analysis", "kind": "", "count": 4}),
        ("topic", {"topic": topic, "count": 4}),
    ]
    home.save_revision().publish()
    return Publication(lead=lead, author=author, topic=topic, country=country)
