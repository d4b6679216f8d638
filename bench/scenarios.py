"""What the harness measures: each scenario names the pool of requests wrk cycles through.

A scenario is a function registered with `@scenario` that runs inside Django
against the benchmark database and returns a Pool: distinct paths, and
optionally distinct Cookie headers (sent in turn, one per request, beside the
paths). The harness never imports Django; it runs `python -m bench.scenarios`
with the library's environment and reads the pools as JSON.

The personalised scenarios pair the article pool with a pool of session
cookies of distinct readers in the right state (`bench.data.reader_state`):
wrk sends request i with path i and cookie i, so every request is a
different reader on a different article.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Pool:
    paths: list[str]
    cookies: list[str] = field(default_factory=list)  # whole Cookie header values
    # Checked on the first responses: each must contain every `expect` text and none of `refuse`.
    expect: list[str] = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    build: Callable[[int], Pool]  # the pool's size -> the pool


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, description: str):
    def register(build: Callable[[int], Pool]) -> Callable[[int], Pool]:
        SCENARIOS[name] = Scenario(name, description, build)
        return build

    return register


def _sample(ids: list[int], size: int) -> list[int]:
    return random.Random(1).sample(ids, min(size, len(ids)))


@scenario("home", "The front page, anonymous.")
def home(size: int) -> Pool:
    return Pool(paths=["/"])


@scenario("article_anonymous", "Distinct article pages spread over the whole library, anonymous.")
def article_anonymous(size: int) -> Pool:
    from masthead.articles.models import ArticlePage

    picked = _sample(list(ArticlePage.objects.live().values_list("pk", flat=True)), size)
    pages = ArticlePage.objects.live().in_bulk(picked)
    return Pool(paths=[pages[pk].get_url_parts()[2] for pk in picked], expect=["Sign in"], refuse=["Sign out"])


@scenario("topic_hub", "The first page of every topic hub, anonymous.")
def topic_hub(size: int) -> Pool:
    from django.urls import reverse

    from masthead.articles.models import Topic

    slugs = list(Topic.objects.filter(articles__live=True).distinct().order_by("slug").values_list("slug", flat=True))
    return Pool(paths=[reverse("articles:topic", kwargs={"slug": slug}) for slug in slugs[:size]])


@scenario("search", "Search pages, anonymous: one word, two words, a phrase, faceted, in turn.")
def search(size: int) -> Pool:
    from masthead.search.bench import search_urls

    # The demo vocabulary gives about 200 distinct queries of the four kinds; more would repeat.
    return Pool(paths=search_urls(min(size, 200)), expect=['class="search-status"'], refuse=['class="search-errors"'])


def _readers_in_state(size: int, wanted: Callable[[dict], bool]) -> list:
    """`size` reader accounts of the benchmark population whose state (bench.data.reader_state) is wanted."""
    from bench.data import reader_state
    from masthead.accounts.models import User

    emails = []
    number = 0
    total = User.objects.filter(email__endswith="@readers.example").count()
    while len(emails) < size and number < total:
        if wanted(reader_state(number)):
            emails.append(f"reader{number:07d}@readers.example")
        number += 1
    users = User.objects.in_bulk(emails, field_name="email")
    return [users[email] for email in emails if email in users]


def _personalised(size: int, wanted: Callable[[dict], bool], **checks: list[str]) -> Pool:
    paths = article_anonymous(size).paths
    readers = _readers_in_state(len(paths), wanted)
    if not readers:
        return Pool(paths=[])
    return Pool(paths=paths, cookies=signed_in_cookies(readers), **checks)


@scenario(
    "article_verified",
    "Distinct article pages, each for a different confirmed reader with free articles left this month.",
)
def article_verified(size: int) -> Pool:
    return _personalised(
        size,
        lambda state: state["verified"] and not state["subscriber"] and state["used"] < 3,
        expect=["Sign out"],
        refuse=['data-reason="meter_exhausted"', 'data-reason="anonymous"'],
    )


@scenario("article_subscriber", "Distinct article pages, each for a different subscriber.")
def article_subscriber(size: int) -> Pool:
    return _personalised(size, lambda state: state["subscriber"], expect=["Sign out"], refuse=['class="paywall"'])


def signed_in_cookies(users: Iterable) -> list[str]:
    """The cookies of each user's browser after signing in: a session stored by the configured session engine,
    and the CSRF cookie that the sign-in form set (a browser that signed in has one and sends it back).
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.middleware.csrf import _get_new_csrf_string

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    cookies = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        csrf = f"{settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}"
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {csrf}")
    return cookies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scenarios", description="Print the pools as JSON.")
    parser.add_argument("names", nargs="+", choices=sorted(SCENARIOS))
    parser.add_argument("--size", type=int, default=1000, help="At most this many distinct requests per pool.")
    args = parser.parse_args(argv)

    import django

    django.setup()
    pools = {name: asdict(SCENARIOS[name].build(args.size)) for name in args.names}
    for name, pool in pools.items():
        if not pool["paths"]:
            raise SystemExit(f"scenario {name}: the library has nothing to request")
    print(json.dumps(pools))


if __name__ == "__main__":
    main()
