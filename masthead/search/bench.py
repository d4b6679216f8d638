"""Search benchmarks for a populated library (the bench harness calls these; nothing here runs in tests).

- `queries()`: a fixed, deterministic list of queries drawn from the demo
  generator's vocabulary (masthead.demo.words): one word, two words, phrases,
  and one-word queries with a facet filter.
- `measure_selectors()`: p50/p95 latency of the search selector
  (`search_articles`: ranked page of 20 + total count + exact-headline check),
  searched afresh and asked for again (its ids and count kept), and, separately,
  of the facet counts (`search_facets`, cache bypassed), per kind of query, on
  the current database; beside them, the machine's speed (`machine_reference_ms`).
- `measure_index_build()`: rebuild the index with the reindex command's code;
  time taken and the index's size on disk.
- `search_urls(limit, using=...)`: `/search/?q=...` paths for the HTTP benchmark
  (what a `search` scenario in `bench/scenarios.py` returns as its pool);
  `measure_http()`: p50/p95 per kind of query through a running server.

Run from the command line against a library database:

    DATABASE_URL=... python -m masthead.search.bench selectors --repeats 5
    DATABASE_URL=... python -m masthead.search.bench index
    DATABASE_URL=... python -m masthead.search.bench urls --limit 200
    DATABASE_URL=... python -m masthead.search.bench http http://127.0.0.1:8000 --limit 120
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

CATEGORIES = ("one_word", "two_words", "phrase", "faceted")


@dataclass(frozen=True)
class BenchQuery:
    category: str
    text: str
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return "/search/?" + urlencode({"q": self.text, **self.filters})


def queries(per_category: int = 30, *, using: str = "default") -> list[BenchQuery]:
    """Deterministic queries from the demo vocabulary: topic keywords, headline heads, places.

    `using`: the database alias whose countries and regions the queries name.
    """
    from masthead.demo import words

    keywords: list[str] = []
    heads: list[str] = []
    for slug in sorted(words.LEXICON):
        lexicon = words.LEXICON[slug]
        keywords.extend(word for word in lexicon.keywords if word not in keywords)
        heads.extend(head for head in lexicon.heads if " " in head and head not in heads)
    countries = [country.name for country in _countries(using) if " " not in country.name]

    one_word = (keywords + countries)[:per_category]
    two_words = [f"{keywords[i]} {countries[(i * 7) % len(countries)]}" for i in range(per_category)]
    phrases = [f'"{head}"' for head in heads[:per_category]]
    topics = sorted(words.LEXICON)
    regions = _region_slugs(using)
    facet_filters = [
        lambda i: {"topic": topics[i % len(topics)]},
        lambda i: {"kind": ("daily", "in_depth", "briefing", "opinion")[i % 4]},
        lambda i: {"year": str(2021 + i % 5)},
        lambda i: {"region": regions[i % len(regions)]},
    ]
    faceted = [
        BenchQuery("faceted", keywords[i % len(keywords)], facet_filters[i % len(facet_filters)](i))
        for i in range(per_category)
    ]
    return (
        [BenchQuery("one_word", text) for text in one_word]
        + [BenchQuery("two_words", text) for text in two_words]
        + [BenchQuery("phrase", text) for text in phrases]
        + faceted
    )


def _countries(using: str = "default"):
    """Countries the library writes about, by name (one-word names, so two-word queries stay two words)."""
    from masthead.articles.models import Country

    links = Country.articles.through.objects.using(using).values("country_id")[:200_000]
    used = Country.objects.using(using).filter(pk__in=links)
    return list(used.order_by("name")[:80])


def _region_slugs(using: str = "default") -> list[str]:
    from masthead.articles.models import WorldRegion

    return list(WorldRegion.objects.using(using).order_by("slug").values_list("slug", flat=True)) or ["europe"]


def _request_for(query: BenchQuery):
    from django.http import QueryDict

    from masthead.search.filters import parse_request
    from masthead.search.query import parse_query

    params = QueryDict(mutable=True)
    params.update({"q": query.text, **query.filters})
    request = parse_request(params)
    return parse_query(request.text), request.filters


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0, "n": 0}

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] * 1000

    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(at(0.95), 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "n": len(ordered),
    }


# The machine's own speed beside the figures: a fixed piece of Python, timed before and after the searches. One
# machine's selector p50 moved by half within an hour, with the same code and data, and this loop with it.
REFERENCE_LOOP = 200_000


def machine_reference_ms(runs: int = 5) -> float:
    """The median wall time of a fixed CPU-bound Python loop (about 10 ms on the machines seen here)."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        sum(i * i for i in range(REFERENCE_LOOP))
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples) * 1000, 2)


def measure_selectors(*, repeats: int = 3, per_category: int = 30, facets: bool = True) -> dict:
    """p50/p95 of `search_articles` (and `search_facets`, uncached) per category.

    Wall-clock time per call, and the process's CPU time per call beside it: on a
    shared machine the CPU time is what the query costs, whatever else runs.
    """
    import gc

    from masthead.search import selectors

    reference_before = machine_reference_ms()
    prepared = [(query, *_request_for(query)) for query in queries(per_category)]
    # As the server's processes do (masthead.wsgi): what is loaded by now stays out of the garbage collector's
    # full scans, which otherwise walk all of Django and Wagtail every few searches (20-50 ms each).
    gc.collect()
    gc.freeze()
    wall: dict[str, list[float]] = {category: [] for category in CATEGORIES}
    cpu: dict[str, list[float]] = {category: [] for category in CATEGORIES}
    facet_wall: dict[str, list[float]] = {category: [] for category in CATEGORIES}
    facet_cpu: dict[str, list[float]] = {category: [] for category in CATEGORIES}
    totals: dict[str, list[int]] = {category: [] for category in CATEGORIES}
    kept_wall: dict[str, list[float]] = {category: [] for category in CATEGORIES}
    # Each query searched once (not answered from the results kept by an earlier run): the database's and the
    # OS's caches are warm, and so are the filter sets (`RankedSearch.kept_filter_set`), as in a process that has
    # served searches since the content last changed.
    for _query, parsed, filters in prepared:
        selectors.search_articles(query=parsed, filters=filters, fresh=True)
    for _ in range(repeats):
        for query, parsed, filters in prepared:
            started, started_cpu = time.perf_counter(), time.process_time()
            outcome = selectors.search_articles(query=parsed, filters=filters, fresh=True)
            wall[query.category].append(time.perf_counter() - started)
            cpu[query.category].append(time.process_time() - started_cpu)
            totals[query.category].append(outcome.total)
            started = time.perf_counter()
            selectors.search_articles(query=parsed, filters=filters)
            kept_wall[query.category].append(time.perf_counter() - started)
            if facets:
                started, started_cpu = time.perf_counter(), time.process_time()
                selectors._facet_counts(parsed, filters, matches=outcome.total)  # as the page passes the total
                facet_wall[query.category].append(time.perf_counter() - started)
                facet_cpu[query.category].append(time.process_time() - started_cpu)
    report = {
        "search_articles_wall": {category: _percentiles(samples) for category, samples in wall.items()},
        "search_articles_cpu": {category: _percentiles(samples) for category, samples in cpu.items()},
        # The same search asked for again (ids and count kept; the cards are read): what a second reader waits.
        "search_articles_again_wall": {category: _percentiles(samples) for category, samples in kept_wall.items()},
        "median_matches": {category: int(statistics.median(values or [0])) for category, values in totals.items()},
        "all_queries_wall": _percentiles([sample for samples in wall.values() for sample in samples]),
        "all_queries_cpu": _percentiles([sample for samples in cpu.values() for sample in samples]),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
        # Compare runs by their figures over this (`machine_reference_ms`), before and after them.
        "machine_reference_ms": {"before": reference_before, "after": machine_reference_ms()},
    }
    if facets:
        report["search_facets_uncached_wall"] = {category: _percentiles(s) for category, s in facet_wall.items()}
        report["search_facets_uncached_cpu"] = {category: _percentiles(s) for category, s in facet_cpu.items()}
    return report


def index_size_bytes() -> dict[str, int]:
    """The search index's size on disk: Wagtail's index entries, the FTS tables (SQLite) and their indexes."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'wagtailsearch_indexentry%' "
                "OR name LIKE 'masthead_search_%' OR name LIKE 'sqlite_autoindex_wagtailsearch_indexentry%' "
                "GROUP BY name"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relname = 'wagtailsearch_indexentry'"
            )
        else:
            return {}
        sizes = {name: int(size or 0) for name, size in cursor.fetchall()}
    sizes["total"] = sum(sizes.values())
    return sizes


def measure_index_build(*, batch_size: int = 1000, models: tuple[str, ...] = ("articles.ArticlePage",)) -> dict:
    """Rebuild the index of `models` (default: the articles) from scratch; seconds and size on disk."""
    from masthead.search.reindex import reindex

    started = time.perf_counter()
    report = reindex(batch_size=batch_size, models=models)
    seconds = time.perf_counter() - started
    return {
        "objects": report.indexed,
        "seconds": round(seconds, 1),
        "per_second": round(report.indexed / seconds, 1) if seconds else None,
        "size_bytes": index_size_bytes(),
    }


def search_queries(limit: int = 200, *, using: str = "default") -> list[BenchQuery]:
    """The HTTP benchmark's queries, the kinds taken in turn (any first N has every kind), `limit` of them."""
    per_category = max(1, -(-limit // len(CATEGORIES)))
    by_category: dict[str, list[BenchQuery]] = {category: [] for category in CATEGORIES}
    for query in queries(per_category, using=using):
        by_category[query.category].append(query)
    turns = zip(*(by_category[category] for category in CATEGORIES), strict=False)
    return [query for turn in turns for query in turn][:limit]


def search_urls(limit: int = 200, *, using: str = "default") -> list[str]:
    """Search page paths (`/search/?q=...`) for an HTTP benchmark scenario on database `using`.

    One-word, two-word, phrase and faceted queries in turn, drawn from the
    demo vocabulary and that database's countries and regions; deterministic.
    A scenario in `bench/scenarios.py` returns `Pool(paths=search_urls(size))`.
    """
    return [query.path for query in search_queries(limit, using=using)]


def _fetch(base_url: str, path: str, timeout: float) -> tuple[float, int]:
    from urllib.error import HTTPError
    from urllib.request import urlopen

    started = time.perf_counter()
    try:
        with urlopen(base_url.rstrip("/") + path, timeout=timeout) as response:  # noqa: S310 - a URL we were given
            response.read()
            status = response.status
    except HTTPError as error:
        status = error.code
    return time.perf_counter() - started, status


def measure_http(
    base_url: str,
    *,
    limit: int = 120,
    repeats: int = 3,
    concurrency: int = 2,
    timeout: float = 30.0,
    fresh: bool = False,
) -> dict:
    """p50/p95 of whole search pages through a running server, per kind of query (a small client, not wrk).

    Each query is fetched once to warm up (and fill the facet cache, as a reader's second
    page would find it), then `repeats` times over `concurrency` connections. An anonymous
    page asked for again is answered from its kept copy (`masthead.search.kept`); `fresh`
    gives each request an address of its own (an extra parameter the page ignores), so every
    page is looked up and rendered.
    """
    from concurrent.futures import ThreadPoolExecutor

    pool = search_queries(limit)
    turns = iter(range(1_000_000_000))

    def path(query: BenchQuery) -> str:
        return f"{query.path}&fresh={next(turns)}" if fresh else query.path

    with ThreadPoolExecutor(concurrency) as executor:
        list(executor.map(lambda query: _fetch(base_url, query.path, timeout), pool))
        timed = list(executor.map(lambda query: (query, *_fetch(base_url, path(query), timeout)), pool * repeats))
    samples: dict[str, list[float]] = {category: [] for category in CATEGORIES}
    errors = 0
    for query, seconds, status in timed:
        samples[query.category].append(seconds)
        errors += status >= 500
    return {
        "page_wall": {category: _percentiles(values) for category, values in samples.items()},
        "all_pages_wall": _percentiles([value for values in samples.values() for value in values]),
        "server_errors": errors,
        "concurrency": concurrency,
        "fresh": fresh,
        "load_average": os.getloadavg(),
    }


def _main(argv: Iterator[str] | None = None) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings.dev")
    django.setup()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    selectors_parser = sub.add_parser("selectors")
    selectors_parser.add_argument("--repeats", type=int, default=3)
    selectors_parser.add_argument("--per-category", type=int, default=30)
    selectors_parser.add_argument("--no-facets", action="store_true")
    index_parser = sub.add_parser("index")
    index_parser.add_argument("--batch-size", type=int, default=1000)
    sub.add_parser("size")
    urls_parser = sub.add_parser("urls")
    urls_parser.add_argument("--limit", type=int, default=200)
    http_parser = sub.add_parser("http")
    http_parser.add_argument("base_url")
    http_parser.add_argument("--limit", type=int, default=120)
    http_parser.add_argument("--repeats", type=int, default=3)
    http_parser.add_argument("--concurrency", type=int, default=2)
    http_parser.add_argument("--fresh", action="store_true", help="an address of its own per request: no kept pages")
    args = parser.parse_args(list(argv) if argv is not None else None)
    result: object
    if args.command == "selectors":
        result = measure_selectors(repeats=args.repeats, per_category=args.per_category, facets=not args.no_facets)
    elif args.command == "index":
        result = measure_index_build(batch_size=args.batch_size)
    elif args.command == "size":
        result = index_size_bytes()
    elif args.command == "http":
        result = measure_http(
            args.base_url, limit=args.limit, repeats=args.repeats, concurrency=args.concurrency, fresh=args.fresh
        )
    else:
        result = search_urls(args.limit)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    _main()
