"""The search page and its autocomplete endpoint."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from masthead.access.decisions import decide_access
from masthead.access.models import AccessSettings
from masthead.access.readers import reader_for_request
from masthead.access.rendering import facts_for, visible_raw_blocks
from masthead.articles.models import ArticlePage

from . import kept, selectors
from .filters import SORTS, SearchRequest, parse_request
from .query import ParsedQuery, clean_text, parse_query
from .snippets import highlight, snippet, snippet_texts

FILTER_PARAMETERS = ("topic", "region", "country", "kind", "author", "year", "from", "to")


@dataclass(frozen=True)
class Result:
    """One article in the results, with what this reader may see of it marked up."""

    article: selectors.ResultCard
    url: str | None  # as Wagtail's `pageurl` gives it for this request
    headline: SafeString
    dek: SafeString
    snippet: SafeString
    exact: bool
    full: bool  # the reader's decision: the snippet may come from the whole body


def results_for_reader(
    request: HttpRequest, articles: list[selectors.ResultCard], query: ParsedQuery, exact_ids
) -> list[Result]:
    """Headline, dek and a snippet of each article, the snippet only from text the reader may read.

    One reader for the whole page; one access decision per article. A gated
    article gives its snippet from the teaser unless the decision is "full".
    """
    if not articles:
        return []
    now = timezone.now()
    reader = reader_for_request(request, article_ids=[article.pk for article in articles], now=now)
    default_paragraphs = AccessSettings.for_request(request).teaser_paragraphs
    terms = query.highlight_terms
    results = []
    for article in articles:
        decision = decide_access(reader=reader, article=facts_for(article), now=now)
        # The snippet needs text only: cut the stored body, decoding nothing (no image query per result).
        blocks = visible_raw_blocks(article, decision, default_paragraphs=default_paragraphs)
        results.append(
            Result(
                article=article,
                url=article.get_url(request),
                headline=highlight(article.title, terms),
                dek=highlight(article.dek, terms),
                snippet=snippet(snippet_texts(blocks, terms), terms),
                exact=article.pk in exact_ids,
                full=decision.full,
            )
        )
    return results


def _query_string(search: SearchRequest, **changes) -> str:
    params = {"q": search.text, **{name: search.raw.get(name, "") for name in FILTER_PARAMETERS}}
    if search.sort != "relevance":
        params["sort"] = search.sort
    for error in search.errors:
        params.pop(error.parameter, None)
    params.update(changes)
    return "?" + urlencode({key: value for key, value in params.items() if value not in ("", None)})


def _facet_links(search: SearchRequest, facets):
    """Each facet value with the link that selects it (or, when selected, removes it)."""
    linked = []
    for facet in facets:
        values = []
        for value in facet.values:
            change = {facet.parameter: "" if value.selected else value.value, "page": ""}
            if facet.parameter == "region":
                change["country"] = ""
            values.append((value, _query_string(search, **change)))
        linked.append((facet, values))
    return linked


# One facet value's list item. Made here, not in the template: a page has up to sixty of them, and the
# template's eight lookups and tags per item cost more than the rest of the page's markup together.
_FACET_ITEM = (
    '<li><a class="search-facet__link{selected_class}" href="{url}"{current}>'
    '<span class="search-facet__name">{label}{selected_note}</span> '
    '<span class="search-facet__count">{count}<span class="visually-hidden"> article{plural}</span></span>'
    "</a></li>"
)


def _facet_items(values) -> SafeString:
    """The list items of one facet's values, each value's label and count escaped."""
    return format_html_join(
        "\n",
        _FACET_ITEM,
        (
            {
                "selected_class": " is-selected" if value.selected else "",
                "url": url,
                "current": mark_safe(' aria-current="true"') if value.selected else "",
                "label": value.label,
                "selected_note": mark_safe('<span class="visually-hidden"> (selected; remove)</span>')
                if value.selected
                else "",
                "count": value.count_display,
                "plural": "" if value.count == 1 else "s",
            }
            for value, url in values
        ),
    )


def _pages(outcome, search: SearchRequest) -> list[tuple[int | None, str]]:
    """Page numbers to link: the first, the last, and two either side of the current one."""
    if outcome is None or outcome.pages <= 1:
        return []
    numbers = sorted({1, outcome.pages, *range(max(1, outcome.page - 2), min(outcome.pages, outcome.page + 2) + 1)})
    links: list[tuple[int | None, str]] = []
    previous = 0
    for number in numbers:
        if number - previous > 1:
            links.append((None, ""))
        links.append((number, _query_string(search, page=number)))
        previous = number
    return links


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """The results page; an anonymous reader's page asked for again is answered from `kept`."""
    response = kept.kept_response(request)
    if response is None:
        response = _search_page(request)
    # Snippets depend on what this reader may read: never cached by anyone else.
    patch_vary_headers(response, ["Cookie"])
    patch_cache_control(response, private=True, no_cache=True, max_age=0)
    return response


def _search_page(request: HttpRequest) -> HttpResponse:
    search_request = parse_request(request.GET)
    query = parse_query(search_request.text)
    outcome = facets = None
    if not query.is_empty:
        outcome = selectors.search_articles(
            query=query, filters=search_request.filters, sort=search_request.sort, page=search_request.page
        )
        facets = selectors.search_facets(query=query, filters=search_request.filters, matches=outcome.total)
    results = results_for_reader(request, outcome.articles, query, outcome.exact_ids) if outcome else []
    active_filters = [
        (label, value, _query_string(search_request, **{parameter: "", "page": ""}))
        for parameter, label, value in _active_filters(search_request)
    ]
    context = {
        "search": search_request,
        "query": query,
        "outcome": outcome,
        "results": results,
        "facets": (facet_links := _facet_links(search_request, facets or [])),
        "facet_lists": [(facet, _facet_items(values)) for facet, values in facet_links],
        "facets_sampled": any(facet.sampled for facet in facets or []),
        "facet_sample_display": f"{selectors.FACET_SAMPLE:,}",
        "active_filters": active_filters,
        "sorts": [(key, label, key == search_request.sort) for key, label in SORTS.items()],
        "page_links": _pages(outcome, search_request),
        "previous_url": _query_string(search_request, page=outcome.page - 1)
        if outcome and outcome.has_previous
        else "",
        "next_url": _query_string(search_request, page=outcome.page + 1) if outcome and outcome.has_next else "",
        "hidden_filters": [
            (name, search_request.raw[name])
            for name in ("topic", "region", "country", "kind", "author", "year")
            if search_request.raw.get(name) and name not in {error.parameter for error in search_request.errors}
        ],
        "first_number": (outcome.page - 1) * outcome.per_page + 1 if outcome else 1,
        "total_display": _total_display(outcome),
        "pages_display": f"{outcome.pages:,}" if outcome else "1",
        "listed_display": f"{outcome.listed:,}" if outcome and outcome.listed else "",
        # Sorted by newest, the pages end where the count stopped (`selectors.COUNT_LIMIT`): a year or dates go further.
        "newest_limited": bool(outcome and outcome.more and search_request.sort == "newest"),
        "counted_display": f"{outcome.total:,}" if outcome and outcome.more else "",
        "newest_url": _query_string(search_request, sort="newest", page=""),
        "today": timezone.localdate().isoformat(),
        "earliest": dt.date(2000, 1, 1).isoformat(),
    }
    status = 400 if search_request.errors else 200
    response = TemplateResponse(request, "search/search.html", context, status=status)
    shown = tuple(
        kept.KeptResult(id=result.article.pk, free_for_everyone=result.article.free_for_everyone, full=result.full)
        for result in results
    )
    return kept.keep(request, response, shown)


def _total_display(outcome: selectors.SearchOutcome | None) -> str:
    if outcome is None:
        return "0"
    return f"More than {outcome.total:,}" if outcome.more else f"{outcome.total:,}"


def _active_filters(search: SearchRequest):
    filters = search.filters
    if filters.topic:
        yield "topic", "Topic", filters.topic.name
    if filters.country:
        yield "country", "Country", filters.country.name
    if filters.region:
        yield "region", "Region", filters.region.name
    if filters.kind:
        yield "kind", "Kind", dict(ArticlePage._meta.get_field("kind").choices).get(filters.kind, filters.kind)
    if filters.author:
        yield "author", "Author", filters.author.name
    if filters.year:
        yield "year", "Year", str(filters.year)
    if filters.date_from:
        yield "from", "From", filters.date_from.strftime("%-d %B %Y")
    if filters.date_to:
        yield "to", "To", filters.date_to.strftime("%-d %B %Y")


@require_safe
def suggest(request: HttpRequest) -> JsonResponse:
    """Autocomplete: `{"query": ..., "suggestions": [{"kind", "label", "url"}]}`; the same for every reader."""
    text = clean_text(request.GET.get("q", ""), limit=80)
    suggestions = selectors.autocomplete(text) if text else []
    response = JsonResponse(
        {
            "query": text,
            "suggestions": [
                {"kind": suggestion.kind, "label": suggestion.label, "url": suggestion.url}
                for suggestion in suggestions
            ],
        }
    )
    patch_cache_control(response, public=True, max_age=60)
    return response
