"""Filter terms: each indexed object's filter values as lexemes (PostgreSQL) or tokens (SQLite) of its index entry.

A filter keeps a page set (`ranking.RankedSearch.kept_filter_set`), but the
GIN index cannot check a page's filter: a common word in a kind's 15,000
pieces read every match's row, 50,000-60,000 of them, to count its 10,000th.
As Wagtail's Elasticsearch backend indexes filter fields, each entry also
holds one lexeme per value of the model's `FilterField`s (its own fields,
and those of a `RelatedFields`, one level deep), and the filter ANDs them
with the words in the GIN index. SQLite writes them after the entry's
autocomplete text, and ANDs them with the words in FTS5's MATCH. The exact
filter stays as the check: a term can only narrow what the index reads,
never add a page.

A term is 16 hex digits of the MD5 of `path=value` (`topics.slug=energy`),
safe in any tsquery. The values are the database's, as the ORM reads them
(`values_list`) and as the filter translator prepares them (a foreign key's
id, a slug, a kind). Fields of `Page` (`live`, dates) have no terms of their
own: they change without the article being indexed again. The date of its
first publication, set once, gives the year's term below.

A page's entry also holds the year of its first publication, in the
publication's time zone (`year_term`). The facets count years, as they count
kinds, topics, regions and authors, from the matches' terms
(`MastheadPostgresSearchResults.filter_term_counts`), without reading each
match's page; and a range of publication dates within a few years (the year
filter, a date range) names the terms of its years (`years_between`). Wagtail
sets the date once, when it first publishes the page, before the entry is
written; an import that sets it afterwards must index the page again, as it
must after setting its topics.

Every entry also holds the term of the set of filter paths (`digest_term`),
and of the time zone of its year: terms are only used once every entry of the
model has the current one (`RankedSearch._filter_terms_ready`), so an index
written before them, before a filter field was added, or in another time
zone, is never trusted for them; `search_reindex` writes them all.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from hashlib import md5

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from wagtail.models import Page
from wagtail.search.index import FilterField, RelatedFields

TERMS_VERSION = "2"  # 2: pages' years (`year_term`)
YEAR_FIELD = "first_published_at"  # a page's year term is this field's year, in the publication's time zone
YEAR_PATH = f"{YEAR_FIELD}.year"
# A range of publication dates spanning at most this many years names their terms (`years_between`): the GIN
# index reads a year's entries as one key, where the range of their entry ids (two-sided) cost it every key from
# each end of the range to the index's end.
YEAR_TERMS_MAX = 3


def term(path: str, value) -> str:
    return md5(f"{path}={value}".encode(), usedforsecurity=False).hexdigest()[:16]


def filter_paths(model) -> list[tuple[str, str]]:
    """(term path, ORM lookup path) of each filter value indexed as a term."""
    paths = []
    for search_field in model.get_search_fields():
        try:
            if isinstance(search_field, FilterField):
                django_field = search_field.get_field(model)
                if django_field.model._meta.concrete_model is not Page:
                    paths.append((search_field.field_name, django_field.name))
            elif isinstance(search_field, RelatedFields):
                related_model = search_field.get_field(model).related_model
                for sub in search_field.fields:
                    if isinstance(sub, FilterField):
                        related_model._meta.get_field(sub.field_name)  # a column, not a method or property
                        name, sub_name = search_field.field_name, sub.field_name
                        paths.append((f"{name}.{sub_name}", f"{name}__{sub_name}"))
        except FieldDoesNotExist:  # a filter on a method or property: the translator cannot name it either
            continue
    return sorted(set(paths))


def year_term(year: int) -> str:
    return term(YEAR_PATH, year)


def years_between(low, high) -> str | None:
    """The terms of the years from `low` to `high` (aware datetimes), in the current time zone; None for more
    than YEAR_TERMS_MAX years, or for values that are not aware datetimes.

    A looser condition than the range itself: every page published in it holds one of them.
    """
    if not all(isinstance(value, datetime) and timezone.is_aware(value) for value in (low, high)):
        return None
    first, last = timezone.localtime(low).year, timezone.localtime(high).year
    if not 0 <= last - first < YEAR_TERMS_MAX:  # an empty range keeps nothing anyway: the filter itself says so
        return None
    return any_of([year_term(year) for year in range(first, last + 1)])


def digest_term(model) -> str:
    """The term every entry of `model` holds when written with the current filter paths (and time zone)."""
    zone = timezone.get_current_timezone_name()
    return term("masthead.filter-terms", f"{TERMS_VERSION}:{filter_paths(model)}:{zone}")


def terms_for(model, pks: list, using: str) -> dict[str, list[str]]:
    """Each object's terms, by its primary key as text (an entry's `object_id`): one query per filter path."""
    found: dict[str, list[str]] = defaultdict(list)
    digest = digest_term(model)
    for pk in pks:
        found[str(pk)].append(digest)
    manager = model._default_manager.using(using)
    for path, lookup in filter_paths(model):
        for pk, value in manager.filter(pk__in=pks).values_list("pk", lookup):
            if value is not None:
                found[str(pk)].append(term(path, value))
    if issubclass(model, Page):
        for pk, published in manager.filter(pk__in=pks).values_list("pk", "first_published_at"):
            if published is not None:
                found[str(pk)].append(year_term(timezone.localtime(published).year))
    return found


def any_of(terms: list[str]) -> str | None:
    """A tsquery matching an entry having any of the terms; None for none."""
    return " | ".join(f"'{value}'" for value in terms) or None
