"""The article page sends gated text only to readers who may read it: in the body, the metadata, anywhere."""

import json
import re

import pytest
from django.test import Client

from masthead.access.enums import Reason
from masthead.access.tests import factories
from masthead.articles.tests.factories import ImageFactory

pytestmark = pytest.mark.django_db

TEASER_TEXT = "Teaser paragraph three states the argument."


def _page(client: Client, article) -> str:
    response = client.get(article.url)
    assert response.status_code == 200
    return response.content.decode()


def _client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("anonymous", Reason.ANONYMOUS),
        ("unverified", Reason.UNVERIFIED),
        ("verified with free articles left", Reason.METER_AVAILABLE),
        ("verified over quota", Reason.METER_EXHAUSTED),
    ],
)
def test_readers_who_may_not_read_get_the_teaser_and_no_gated_text_anywhere_in_the_page(who, reason):
    secret = factories.marker()
    article = factories.gated_article(secret, lead_image=ImageFactory(), pull_quote=f"Pull quote {secret}")
    user = {
        "anonymous": lambda: None,
        "unverified": lambda: factories.reader(verified=False),
        "verified with free articles left": lambda: factories.reader(),
        "verified over quota": lambda: _over_quota(),
    }[who]()
    client = _client_for(user)

    response = client.get(article.url)
    html = response.content.decode()

    assert response.access_decision.reason == reason
    assert TEASER_TEXT in html
    assert secret not in html
    assert "Paragraph four develops it." not in html
    assert 'class="paywall"' in html


def _over_quota():
    user = factories.reader()
    factories.use_meter(user, count=3)
    return user


@pytest.mark.parametrize("who", ["staff", "subscriber"])
def test_readers_who_may_read_get_the_whole_article(who):
    secret = factories.marker()
    article = factories.gated_article(secret)
    user = factories.staff() if who == "staff" else factories.subscriber()

    html = _page(_client_for(user), article)

    assert secret in html
    assert 'class="paywall"' not in html


def test_a_free_article_reads_in_full_for_anyone():
    secret = factories.marker()
    article = factories.gated_article(secret, free_for_everyone=True)
    assert secret in _page(Client(), article)


def test_the_page_metadata_never_carries_body_text():
    secret = factories.marker()
    article = factories.gated_article(secret, lead_image=ImageFactory())
    html = _page(_client_for(factories.subscriber()), article)
    head = html.split("</head>")[0]
    assert secret in html  # the subscriber reads it in the body...
    assert secret not in head  # ...but description, Open Graph and JSON-LD hold none of it


def test_gated_articles_are_marked_as_not_free_with_the_paywall_section_named():
    article = factories.gated_article(factories.marker())
    html = _page(Client(), article)

    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))

    assert data["@type"] == "NewsArticle"
    assert data["headline"] == article.title
    assert data["isAccessibleForFree"] is False
    assert data["hasPart"] == {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paywall"}
    assert 'class="paywall"' in html


def test_free_articles_are_marked_as_free():
    article = factories.gated_article(factories.marker(), free_for_everyone=True)
    html = _page(Client(), article)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["isAccessibleForFree"] is True
    assert "hasPart" not in data


def test_a_per_article_teaser_length_shows_that_many_paragraphs():
    article = factories.gated_article(factories.marker(), teaser_paragraphs=1)
    html = _page(Client(), article)
    assert "Teaser paragraph one sets out the question." in html
    assert "Teaser paragraph two gives the background." not in html


def test_the_site_wide_teaser_length_is_an_editor_setting():
    from wagtail.models import Site

    from masthead.access.models import AccessSettings

    settings = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    settings.teaser_paragraphs = 2
    settings.save()
    html = _page(Client(), factories.gated_article(factories.marker()))
    assert "Teaser paragraph two gives the background." in html
    assert TEASER_TEXT not in html


def test_full_text_pages_are_private_to_the_reader_and_vary_on_the_session():
    article = factories.gated_article(factories.marker())
    response = _client_for(factories.subscriber()).get(article.url)
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_teaser_pages_are_not_shared_cached_either():
    response = Client().get(factories.gated_article(factories.marker()).url)
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_free_articles_may_be_cached_by_shared_caches():
    response = Client().get(factories.gated_article(factories.marker(), free_for_everyone=True).url)
    assert "public" in response["Cache-Control"]


def test_when_the_entitlement_lookup_fails_the_reader_gets_the_teaser(settings):
    settings.ACCESS_ENTITLEMENT_SOURCES = ["masthead.access.tests.test_article_page_access.broken_source"]
    secret = factories.marker()
    article = factories.gated_article(secret)

    response = _client_for(factories.subscriber()).get(article.url)

    assert response.status_code == 200
    assert response.access_decision.reason == Reason.LOOKUP_FAILED
    assert secret not in response.content.decode()


def broken_source(user, facts):
    raise ConnectionError("the entitlement service is down")


def test_a_corrupt_session_gives_the_teaser_not_an_error():
    secret = factories.marker()
    article = factories.gated_article(secret)
    client = Client()
    session = client.session
    session["masthead.access.unlocked"] = ["not-a-number"]
    session.save()

    response = client.get(article.url)

    assert response.status_code == 200
    assert secret not in response.content.decode()


def test_a_preview_is_for_editors_only(client):
    from django.urls import reverse

    article = factories.gated_article(factories.marker())
    preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=(article.pk,))
    response = client.get(preview_url)
    assert response.status_code in (302, 403)
    assert "GATED-MARKER" not in response.content.decode()


def test_a_free_article_seen_by_a_signed_in_reader_is_private_to_them():
    response = _client_for(factories.reader()).get(
        factories.gated_article(factories.marker(), free_for_everyone=True).url
    )
    assert "private" in response["Cache-Control"]
