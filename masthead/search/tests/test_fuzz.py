"""Any query, any filter value, any page number: a normal page or a clear message, never a server error."""

from __future__ import annotations

import pytest

# hypothesis is a dev dependency; without it these tests are skipped with one line.
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

pytestmark = pytest.mark.django_db

# Text a reader (or a robot) might send: any printable or control character, operators of
# every search syntax, SQL, non-Latin scripts, emoji. Lone surrogates cannot be URL-encoded.
_ALPHABET = st.characters(blacklist_categories=["Cs"])
_SYNTAX = st.sampled_from(
    [
        '"',
        "'",
        "-",
        "*",
        ":",
        "&",
        "|",
        "\\",
        "(",
        ")",
        "^",
        "~",
        "!",
        "+",
        "%",
        "_",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "{title}",
        "<->",
        "\x00",
        "--",
        ";",
        "' OR 1=1 --",
        "DROP TABLE wagtailcore_page;",
        "تحریم",
        "سانکشن",
        "Кабул",
        "😀",
        "北京",
        " ",
        "sanction",
        "grid",
        "talks",
    ]
)
_QUERIES = st.one_of(
    st.text(_ALPHABET, max_size=200),
    st.lists(_SYNTAX, max_size=30).map("".join),
    st.lists(st.one_of(_SYNTAX, st.text(_ALPHABET, max_size=8)), max_size=20).map(" ".join),
)
_VALUES = st.one_of(st.none(), st.text(_ALPHABET, max_size=40), st.sampled_from(["energy", "2024", "0", "-1", "daily"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=_QUERIES,
    page=_VALUES,
    topic=_VALUES,
    year=_VALUES,
    date_from=_VALUES,
    sort=st.one_of(st.none(), st.sampled_from(["relevance", "newest", "'; --"])),
)
def test_the_search_page_never_fails_whatever_it_is_sent(client, library, q, page, topic, year, date_from, sort):
    params = {"q": q}
    for name, value in (("page", page), ("topic", topic), ("year", year), ("from", date_from), ("sort", sort)):
        if value is not None:
            params[name] = value
    response = client.get("/search/", params)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert b"Invalid filter" in response.content


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=_QUERIES)
def test_autocomplete_never_fails_whatever_it_is_sent(client, library, q):
    response = client.get("/search/suggest/", {"q": q})
    assert response.status_code == 200
    assert isinstance(response.json()["suggestions"], list)
