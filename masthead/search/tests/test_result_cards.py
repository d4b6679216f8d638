"""Search results read as plain values (selectors.ResultCard) show what the article's page object would."""

import pytest
from django.test import RequestFactory
from wagtail.models import Page, Site

from masthead.articles.models import ArticlePage
from masthead.articles.tests.factories import AuthorFactory, make_article
from masthead.search import selectors

pytestmark = pytest.mark.django_db


def _request(host: str = "localhost"):
    return RequestFactory().get("/search/", HTTP_HOST=host)


def test_a_card_has_the_articles_values_bylines_in_order_and_its_url():
    first, second = AuthorFactory(name="Zora Quill"), AuthorFactory(name="Amir Basu")
    article = make_article(title="Cards of the results", dek="What a result shows.", authors=[first, second])
    page = ArticlePage.objects.get(pk=article.pk)
    [card] = selectors.result_cards([article.pk])
    assert (card.pk, card.id, card.title, card.dek, card.kind) == (page.pk, page.pk, page.title, page.dek, page.kind)
    assert card.first_published_at == page.first_published_at
    assert card.get_kind_display() == page.get_kind_display()
    assert card.authors == ("Zora Quill", "Amir Basu")  # the byline's order, not the names'
    assert card.body.raw_data[0] == page.body.raw_data[0]
    request = _request()
    assert card.get_url(request) == page.get_url(request) == page.url


def test_cards_keep_the_order_asked_and_leave_out_what_is_not_live():
    shown, hidden, last = make_article(), make_article(live=False), make_article()
    cards = selectors.result_cards([last.pk, hidden.pk, shown.pk])
    assert [card.pk for card in cards] == [last.pk, shown.pk]
    assert selectors.result_cards([]) == []


def test_a_card_on_another_site_gets_wagtails_absolute_url():
    article = make_article()
    page = ArticlePage.objects.get(pk=article.pk)
    other_home = Page.get_first_root_node().add_child(instance=Page(title="Other", slug="other-home"))
    Site.objects.create(hostname="other.example", port=80, root_page=other_home, site_name="Other")
    [card] = selectors.result_cards([article.pk])
    request = _request("other.example")
    assert card.get_url(request) == page.get_url(request)
    assert card.get_url(request).startswith("http://localhost")
