"""The search page finds articles by their words, filters and ranks them, and shows only what readers may read.

The same tests run on SQLite (the default) and on PostgreSQL (DATABASE_URL=postgres://...).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from masthead.access.tests import factories as access_factories
from masthead.articles.enums import ArticleKind
from masthead.articles.tests.factories import AuthorFactory, days_ago, make_article, paragraphs
from masthead.search.tests.conftest import search_page

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return [result.article.title for result in response.context["results"]]


def _text(response) -> str:
    return response.content.decode()


# --- Word forms, phrases, exclusion --------------------------------------------------------


def test_a_singular_word_finds_articles_that_use_its_plural(client, library):
    response = search_page(client, q="subscription")
    assert _titles(response) == ["Why newspaper subscriptions are rising"]


def test_sanction_finds_both_sanction_and_sanctions(client, library):
    response = search_page(client, q="sanction")
    assert set(_titles(response)) == {"The limits of sanctions on Kabul", "A pipeline through the mountains"}


def test_words_in_any_case_find_the_same_articles(client, library):
    assert _titles(search_page(client, q="PIPELINE")) == _titles(search_page(client, q="pipeline"))


def test_every_word_must_match(client, library):
    assert _titles(search_page(client, q="grid heat")) == ["Power cuts return to the capital"]
    assert _titles(search_page(client, q="grid sanctions")) == []


def test_a_phrase_in_quotes_matches_only_those_words_in_that_order(client, library):
    assert _titles(search_page(client, q='"back-channel talks"')) == ["A pipeline through the mountains"]
    assert _titles(search_page(client, q='"talks back-channel"')) == []


def test_a_phrase_may_run_from_the_end_of_the_headline_into_the_dek(client, library):
    """Headline "...to the capital", dek "An old grid meets...": the words are in that order, across the two."""
    assert _titles(search_page(client, q='"capital an old grid"')) == ["Power cuts return to the capital"]
    assert _titles(search_page(client, q='grid -"capital an old grid"')) == []


def test_a_hyphenated_word_is_searched_as_a_phrase(client, library):
    assert _titles(search_page(client, q="back-channel")) == ["A pipeline through the mountains"]


def test_a_phrase_finds_a_hyphenated_word_after_its_first(client, library):
    """PostgreSQL indexes "arms build-up" as 'arm' 1, 'build-up' 2, 'build' 3: read as "arms build up", the phrase
    asked for 'arm' next to 'build' and found none of the 719 headlines saying it at 100,000 articles."""
    make_article(title="An arms build-up in the north", body=paragraphs("Tanks moved again.", "Talks stalled."))
    make_article(title="Arms and a later build-up", body=paragraphs("Arms again.", "Nothing else."))
    assert _titles(search_page(client, q='"arms build-up"')) == ["An arms build-up in the north"]
    assert _titles(search_page(client, q='"an arms build-up in the north"')) == ["An arms build-up in the north"]
    assert _titles(search_page(client, q='"build-up arms"')) == []
    assert _titles(search_page(client, q='arms -"arms build-up"')) == ["Arms and a later build-up"]
    assert "<mark>build</mark>-<mark>up</mark>" in _text(search_page(client, q='"arms build-up"'))


def test_a_minus_sign_leaves_out_articles_with_that_word(client, library):
    both = set(_titles(search_page(client, q="talks")))
    assert both == {"A pipeline through the mountains", "Power cuts return to the capital"}
    assert _titles(search_page(client, q="talks -grid")) == ["A pipeline through the mountains"]
    assert _titles(search_page(client, q='talks -"gas pipeline"')) == ["Power cuts return to the capital"]


def test_a_search_of_exclusions_alone_asks_for_a_word(client, library):
    response = search_page(client, q="-grid")
    assert response.status_code == 200
    assert "Add a word to search for" in _text(response)


def test_stop_words_alone_say_there_is_nothing_to_search_for(client, library):
    response = search_page(client, q="the of and")
    assert response.status_code == 200
    assert "There is nothing to search for" in _text(response)


def test_an_empty_search_shows_the_box_and_a_prompt(client, library):
    response = search_page(client)
    assert response.status_code == 200
    assert 'role="search"' in _text(response)
    assert "Type a word" in _text(response)


def test_a_word_nobody_used_says_no_articles_match(client, library):
    response = search_page(client, q="xylophone")
    assert response.status_code == 200
    assert "No articles match" in _text(response)


def test_drafts_and_unpublished_articles_are_never_found(client, library):
    make_article(title="Unpublished zeppelin story", live=False)
    assert _titles(search_page(client, q="zeppelin")) == []


# --- Facets and filters ---------------------------------------------------------------------


def _facet(response, parameter) -> dict[str, int]:
    for facet, values in response.context["facets"]:
        if facet.parameter == parameter:
            return {value.label: value.count for value, _ in values}
    return {}


def test_facets_count_the_matching_articles_by_topic_region_kind_author_and_year(client, library):
    response = search_page(client, q="sanction")
    assert _facet(response, "topic") == {"Energy": 1, "Trade": 1}
    assert _facet(response, "region") == {library["countries"]["AF"].region.name: 2}
    assert _facet(response, "kind") == {"In-depth report": 1, "Briefing": 1}
    assert _facet(response, "author") == {"Nadia Rahimi": 2}
    assert sum(_facet(response, "year").values()) == 2


def test_facet_links_in_the_page_select_a_value_and_a_selected_one_removes_it(client, library):
    html = search_page(client, q="sanction").content.decode()
    assert (
        '<li><a class="search-facet__link" href="?q=sanction&amp;topic=energy">'
        '<span class="search-facet__name">Energy</span> '
        '<span class="search-facet__count">1<span class="visually-hidden"> article</span></span></a></li>'
    ) in html
    assert '<span class="search-facet__count">2<span class="visually-hidden"> articles</span>' in html
    selected = search_page(client, q="sanction", topic="energy").content.decode()
    assert (
        '<li><a class="search-facet__link is-selected" href="?q=sanction" aria-current="true">'
        '<span class="search-facet__name">Energy<span class="visually-hidden"> (selected; remove)</span></span>'
    ) in selected


def test_a_facet_label_is_escaped(client, library):
    library["topics"]["energy"].name = 'Energy <script>alert("x")</script>'
    library["topics"]["energy"].save()
    html = search_page(client, q="sanction").content.decode()
    assert "<script>alert" not in html
    assert "Energy &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"topic": "energy"}, ["A pipeline through the mountains"]),
        ({"kind": ArticleKind.IN_DEPTH}, ["The limits of sanctions on Kabul"]),
        ({"author": "nadia-rahimi"}, None),
        ({"country": "afghanistan"}, None),
    ],
)
def test_filters_narrow_the_results(client, library, params, expected):
    response = search_page(client, q="sanction", **params)
    assert response.status_code == 200
    titles = _titles(response)
    if expected is not None:
        assert titles == expected
    else:
        assert set(titles) == {"The limits of sanctions on Kabul", "A pipeline through the mountains"}


def test_a_region_filter_keeps_articles_about_its_countries(client, library):
    region = library["countries"]["FR"].region
    response = search_page(client, q="talks", region=region.slug)
    assert _titles(response) == ["Power cuts return to the capital"]


def test_a_date_range_keeps_articles_published_within_it(client, library):
    recent = days_ago(60).date().isoformat()
    response = search_page(client, q="sanction", **{"from": recent})
    assert _titles(response) == ["A pipeline through the mountains"]
    response = search_page(client, q="sanction", to=recent)
    assert _titles(response) == ["The limits of sanctions on Kabul"]


def test_a_year_filter_keeps_that_years_articles(client, library):
    year = library["articles"]["grid"].first_published_at.year
    response = search_page(client, q="talks", year=str(year))
    assert "Power cuts return to the capital" in _titles(response)
    assert "A pipeline through the mountains" not in _titles(response) or year == days_ago(5).year


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"topic": "no-such-topic"}, "topic"),
        ({"region": "atlantis"}, "region"),
        ({"author": "nobody"}, "author"),
        ({"kind": "limerick"}, "kind"),
        ({"year": "19999"}, "year"),
        ({"year": "nineteen"}, "year"),
        ({"from": "2024-13-45"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2024-05-01", "to": "2024-01-01"}, "to"),
        ({"sort": "random"}, "sort"),
        ({"topic": "x" * 5000}, "topic"),
        ({"topic": "energy\x00"}, None),
    ],
)
def test_an_invalid_filter_value_gives_400_and_says_what_was_wrong(client, library, params, parameter):
    response = search_page(client, q="sanction", **params)
    if parameter is None:
        assert response.status_code in (200, 400)
        return
    assert response.status_code == 400
    html = _text(response)
    assert "Invalid filter" in html
    assert [error.parameter for error in response.context["search"].errors] == [parameter]
    # The rest of the search still runs, without the bad filter.
    assert response.context["outcome"].total == 2


@pytest.mark.parametrize("page", ["0", "-3", "abc", "9999999999999", "2.5", "", "١"])  # noqa: RUF001 - the script is the point
def test_any_page_number_gives_a_page_of_results(client, library, page):
    response = search_page(client, q="sanction", page=page)
    assert response.status_code == 200
    assert response.context["outcome"].page == 1


def test_results_are_paginated_and_pages_keep_the_query(client, library):
    for number in range(23):
        make_article(title=f"Harbour report {number}", body=paragraphs("The harbour cranes were idle again."))
    first = search_page(client, q="harbour")
    assert first.context["outcome"].total == 23
    assert len(first.context["results"]) == 20
    assert 'href="?q=harbour&amp;page=2"' in _text(first)
    second = search_page(client, q="harbour", page="2")
    assert len(second.context["results"]) == 3
    seen = set(_titles(first)) | set(_titles(second))
    assert len(seen) == 23
    assert search_page(client, q="harbour", page="99").context["outcome"].page == 2


# --- Ranking --------------------------------------------------------------------------------


def test_an_exact_headline_match_comes_first(client, library):
    for number in range(5):
        make_article(
            title=f"Notes on mountain passes {number}",
            dek="A pipeline through the mountains, again and again.",
            body=paragraphs("A pipeline through the mountains. " * 5),
            published_at=days_ago(1),
        )
    response = search_page(client, q="a pipeline through the mountains")
    assert _titles(response)[0] == "A pipeline through the mountains"
    assert response.context["results"][0].exact


def test_an_exact_headline_match_comes_first_behind_newer_headlines_holding_its_words(client, library):
    for number in range(12):  # more than the exact matches looked at
        make_article(
            title=f"Salt marsh survey, part {number}",
            body=paragraphs("The salt marsh survey again."),
            published_at=days_ago(1),
        )
    make_article(title="Salt Marsh: survey", body=paragraphs("An old survey."), published_at=days_ago(900))
    response = search_page(client, q='"salt marsh survey"')
    assert _titles(response)[0] == "Salt Marsh: survey"
    assert response.context["results"][0].exact
    assert not any(result.exact for result in response.context["results"][1:])


def test_an_exact_headline_match_keeps_to_the_filters(client, library):
    make_article(title="Tide tables", body=paragraphs("Tide tables."), kind=ArticleKind.OPINION)
    make_article(title="Tide tables revisited", body=paragraphs("Tide tables."), kind=ArticleKind.BRIEFING)
    response = search_page(client, q="tide tables", kind="briefing")
    assert _titles(response) == ["Tide tables revisited"]
    assert not response.context["results"][0].exact


def test_a_headline_match_ranks_above_a_body_match(client, library):
    make_article(title="Rivers and dams", body=paragraphs("Nothing here about it.", "The reservoir is low."))
    make_article(title="Harvest notes", body=paragraphs("A long essay on fields.", "The reservoir came up once."))
    make_article(title="Reservoir politics", body=paragraphs("Who controls the water.", "Farmers wait."))
    assert _titles(search_page(client, q="reservoir"))[0] == "Reservoir politics"


def test_a_dek_match_ranks_above_a_body_match(client, library):
    make_article(title="Field notes", dek="On prices.", body=paragraphs("Nothing.", "Cotton is cheap."))
    make_article(title="Market notes", dek="Why cotton is cheap.", body=paragraphs("Nothing.", "Prices fall."))
    assert _titles(search_page(client, q="cotton"))[0] == "Market notes"


def test_between_equal_matches_the_newer_article_ranks_first(client, library):
    make_article(title="Saffron old", body=paragraphs("Saffron trade.", "More."), published_at=days_ago(2000))
    make_article(title="Saffron new", body=paragraphs("Saffron trade.", "More."), published_at=days_ago(2))
    assert _titles(search_page(client, q="saffron trade")) == ["Saffron new", "Saffron old"]


def test_sorting_by_newest_puts_the_latest_first(client, library):
    response = search_page(client, q="talks", sort="newest")
    assert _titles(response) == ["A pipeline through the mountains", "Power cuts return to the capital"]


# --- Snippets and the paywall ---------------------------------------------------------------


def test_snippets_mark_the_matched_words_and_escape_everything_else(client, library):
    make_article(
        title="Markup <b>in</b> a headline",
        dek="A dek with <script>alert(1)</script> in it about turbines.",
        body=paragraphs("Turbines &amp; <em>blades</em> were delivered.", "More text."),
    )
    html = _text(search_page(client, q="turbines"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>Turbines</mark>" in html
    assert "<mark>turbines</mark>" in html
    assert "&lt;b&gt;in&lt;/b&gt;" in html


def test_a_gated_article_found_by_a_gated_word_never_shows_that_word_to_an_anonymous_reader(client, library):
    secret = access_factories.marker()
    article = access_factories.gated_article(secret)
    hex_part = secret.split("-")[-1]

    response = search_page(client, q=hex_part)

    # The gated text is in the index, so the article is found...
    assert _titles(response) == [article.title]
    # ...but the page shows only the dek and the teaser.
    html = _text(response)
    assert secret not in html
    assert f"<mark>{hex_part}</mark>" not in html
    assert "Paragraph five" not in html
    assert "Teaser paragraph one" in response.context["results"][0].snippet


def test_a_subscriber_sees_a_snippet_from_the_full_text(library):
    secret = access_factories.marker()
    article = access_factories.gated_article(secret)
    hex_part = secret.split("-")[-1]
    client = Client()
    client.force_login(access_factories.subscriber())

    response = search_page(client, q=hex_part)

    assert _titles(response) == [article.title]
    assert f"<mark>{hex_part}</mark>" in str(response.context["results"][0].snippet)
    assert "Paragraph five holds the marker" in str(response.context["results"][0].snippet)


def test_snippets_of_free_articles_come_from_the_whole_body(client, library):
    response = search_page(client, q="money")
    assert _titles(response) == ["A pipeline through the mountains"]
    assert "<mark>money</mark>" in str(response.context["results"][0].snippet)


def test_the_search_page_is_never_cached_by_others(client, library):
    response = search_page(client, q="sanction")
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


# --- Autocomplete ---------------------------------------------------------------------------


def test_autocomplete_suggests_headlines_topics_and_authors(client, library):
    AuthorFactory(name="Pia Pipkin", slug="pia-pipkin")
    data = client.get("/search/suggest/", {"q": "pip"}).json()
    kinds = {(item["kind"], item["label"]) for item in data["suggestions"]}
    assert ("article", "A pipeline through the mountains") in kinds
    assert ("author", "Pia Pipkin") in kinds
    data = client.get("/search/suggest/", {"q": "ener"}).json()
    assert ("topic", "Energy") in {(item["kind"], item["label"]) for item in data["suggestions"]}


def test_autocomplete_finds_a_headline_while_a_word_is_half_typed(client, library):
    for typed in ("subs", "subscri", "subscripti", "subscription"):
        labels = [item["label"] for item in client.get("/search/suggest/", {"q": typed}).json()["suggestions"]]
        assert "Why newspaper subscriptions are rising" in labels, typed


@pytest.mark.parametrize("typed", ["", " ", "\x00", '"', "*", "a", "😀😀", "-", "x" * 10_000])
def test_autocomplete_answers_anything_with_json(client, library, typed):
    response = client.get("/search/suggest/", {"q": typed})
    assert response.status_code == 200
    assert isinstance(response.json()["suggestions"], list)


def test_the_search_box_is_in_every_pages_header(client, library):
    html = client.get("/").content.decode()
    form = re.search(r'<form class="site-search"[^>]*>', html).group(0)
    assert 'role="search"' in form
    assert 'method="get"' in form
    assert 'aria-label="Site search"' in form
    assert '<label class="visually-hidden" for="site-search-q">' in html


# --- Any query is safe (see also test_fuzz.py) ----------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "x" * 10_240,
        "sanction " * 1200,
        '"' * 5000,
        "-" * 5000,
        "\x00" * 1000,
        "😀" * 3000,
        "تحریم‌ها سانکشن " * 400,  # noqa: RUF001 - the script is the point
        "\\" * 4000,
        "a" * 300 + '" -"' * 500,
    ],
)
def test_ten_kilobyte_queries_give_a_normal_page(client, library, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
