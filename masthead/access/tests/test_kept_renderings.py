"""Kept article renderings (masthead.articles.serving) never carry one reader's page to another.

Each test first lets a reader who may read the whole article fill the kept
renderings, then checks what the next readers get, without clearing anything.
"""

import re

import pytest
from django.core.cache import cache
from django.db.models import F
from django.test import Client
from wagtail.models import PageViewRestriction

from masthead.access.enums import Reason
from masthead.access.models import ComplimentaryAccess
from masthead.access.tests import factories
from masthead.core import content_version
from masthead.core.memo import forget_all
from masthead.core.models import ContentVersion

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _client_for(user, **options) -> Client:
    client = Client(**options)
    if user is not None:
        client.force_login(user)
    return client


def _warm(article, user) -> str:
    """Two requests by a reader who reads it all: the second is served from the kept rendering."""
    client = _client_for(user)
    client.get(article.url)
    html = client.get(article.url).content.decode()
    return html


@pytest.mark.parametrize("who", ["anonymous", "unverified", "within quota", "over quota"])
def test_after_a_subscriber_read_it_readers_without_access_still_get_only_the_teaser(who):
    secret = factories.marker()
    article = factories.gated_article(secret)
    assert secret in _warm(article, factories.subscriber())

    user = {
        "anonymous": lambda: None,
        "unverified": lambda: factories.reader(verified=False),
        "within quota": lambda: factories.reader(),
        "over quota": lambda: _over_quota(),
    }[who]()
    client = _client_for(user)
    for _ in range(2):
        response = client.get(article.url)
        assert response.status_code == 200
        assert secret not in response.content.decode()
        assert not response.access_decision.full


def _over_quota():
    user = factories.reader()
    factories.use_meter(user, count=3)
    return user


def test_two_subscribers_share_the_rendering_but_not_the_csrf_token():
    secret = factories.marker()
    article = factories.gated_article(secret)
    first = _client_for(factories.subscriber())
    second = _client_for(factories.subscriber(), enforce_csrf_checks=True)
    first.get(article.url)
    html_first = first.get(article.url).content.decode()
    html_second = second.get(article.url).content.decode()
    assert secret in html_first and secret in html_second
    tokens_first, tokens_second = TOKEN.findall(html_first), TOKEN.findall(html_second)
    assert tokens_first and tokens_second  # sign-out and gift forms
    assert set(tokens_first).isdisjoint(tokens_second)
    assert "mastheadcsrftokenplaceholder" not in html_first + html_second
    # Each token is valid for its own browser: the gift form posts with it.
    gift_url = f"/access/gifts/new/{article.pk}/"
    assert second.post(gift_url, {"csrfmiddlewaretoken": tokens_first[-1] + "x"}).status_code == 403
    response = second.post(gift_url, {"csrfmiddlewaretoken": tokens_second[-1]})
    assert response.status_code in (302, 303)


def test_spending_a_free_article_opens_it_at_once_for_that_reader_only():
    secret = factories.marker()
    article = factories.gated_article(secret)
    user = factories.reader()
    client = _client_for(user)
    assert secret not in _warm(article, user)

    response = client.post(f"/access/unlock/{article.pk}/", follow=True)
    assert secret in response.content.decode()
    again = client.get(article.url)
    assert again.access_decision.reason == Reason.METER_UNLOCKED
    assert secret in again.content.decode()
    # Another reader within quota still meets the offer.
    assert secret not in _client_for(factories.reader()).get(article.url).content.decode()


def test_withdrawn_complimentary_access_closes_the_article_on_the_next_request():
    secret = factories.marker()
    article = factories.gated_article(secret)
    user = factories.subscriber()
    client = _client_for(user)
    client.get(article.url)
    assert secret in client.get(article.url).content.decode()

    ComplimentaryAccess.objects.filter(reader=user).delete()
    response = client.get(article.url)
    assert secret not in response.content.decode()
    assert response.access_decision.reason == Reason.METER_AVAILABLE


def test_a_published_correction_is_served_at_once():
    article = factories.gated_article(factories.marker(), free_for_everyone=True)
    _warm(article, None)
    article.title = "A corrected headline"
    article.save_revision().publish()
    assert "A corrected headline" in Client().get(article.url).content.decode()


def test_an_unpublished_article_is_gone_at_once():
    article = factories.gated_article(factories.marker(), free_for_everyone=True)
    _warm(article, None)
    article.unpublish()
    assert Client().get(article.url).status_code == 404


def test_a_view_restriction_added_later_is_enforced_on_the_next_request():
    secret = factories.marker()
    article = factories.gated_article(secret, free_for_everyone=True)
    assert secret in _warm(article, None)
    PageViewRestriction.objects.create(page=article, restriction_type=PageViewRestriction.LOGIN)
    response = Client().get(article.url)
    assert response.status_code == 302  # to the sign-in page
    assert secret not in response.content.decode()


def test_a_change_made_by_another_process_is_seen_within_the_version_interval(settings):
    settings.CONTENT_VERSION_SECONDS = 0
    article = factories.gated_article(factories.marker(), free_for_everyone=True)
    _warm(article, None)
    # Another process unpublished it: its signal raised the version in the database, not in this process.
    type(article).objects.filter(pk=article.pk).update(live=False)
    ContentVersion.objects.filter(pk=1).update(value=F("value") + 1)
    assert Client().get(article.url).status_code == 404


def test_a_message_for_the_reader_is_shown_to_them_and_never_kept():
    secret = factories.marker()
    article = factories.gated_article(secret)
    user = factories.reader()
    client = _client_for(user)
    response = client.post(f"/access/unlock/{article.pk}/", follow=True)
    html = response.content.decode()
    assert "This article is yours to read" in html
    # The next reader (a subscriber, same decision kind "full") does not see the first reader's message.
    other = _client_for(factories.subscriber())
    assert "This article is yours to read" not in other.get(article.url).content.decode()
    assert "This article is yours to read" not in client.get(article.url).content.decode()


def test_when_the_version_cannot_be_read_nothing_is_kept(monkeypatch):
    secret = factories.marker()
    article = factories.gated_article(secret)
    monkeypatch.setattr(content_version, "current", lambda: -1)
    forget_all()
    cache.clear()
    client = _client_for(factories.subscriber())
    assert secret in client.get(article.url).content.decode()
    assert secret not in Client().get(article.url).content.decode()


# --- Kept pages: the front page, the archive, hubs ----------------------------------------------


def test_the_front_page_is_kept_per_signed_in_state_and_shows_a_new_article_at_once():
    from masthead.articles.tests.factories import make_article

    make_article(title="An older headline")
    anonymous, signed_in = Client(), _client_for(factories.reader())
    for client in (anonymous, signed_in):
        client.get("/")
    assert "Sign out" not in anonymous.get("/").content.decode()
    home = signed_in.get("/").content.decode()
    assert "Sign out" in home
    assert "mastheadcsrftokenplaceholder" not in home
    make_article(title="A headline published just now")
    assert "A headline published just now" in anonymous.get("/").content.decode()


def test_a_kept_hub_page_is_the_same_for_everyone_but_the_token():
    from masthead.articles.tests.factories import TopicFactory, make_article

    topic = TopicFactory()
    make_article(topics=[topic])
    first, second = _client_for(factories.reader()), _client_for(factories.subscriber())
    first.get(topic.get_absolute_url())
    one = first.get(topic.get_absolute_url()).content.decode()
    two = second.get(topic.get_absolute_url()).content.decode()
    assert TOKEN.sub("", one) == TOKEN.sub("", two)
    assert set(TOKEN.findall(one)).isdisjoint(TOKEN.findall(two))


def test_a_front_page_restricted_to_a_group_is_never_kept_for_another_signed_in_reader():
    from django.contrib.auth.models import Group

    from masthead.home.models import HomePage

    home = HomePage.objects.get()
    editors = Group.objects.create(name="Insiders")
    restriction = PageViewRestriction.objects.create(page=home, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.add(editors)
    insider = factories.reader()
    insider.groups.add(editors)
    client = _client_for(insider)
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200
    outsider = _client_for(factories.reader())
    assert outsider.get("/").status_code != 200  # Wagtail's restriction answers, not a kept page
