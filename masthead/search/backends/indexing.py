"""What goes into the index for one object, computed once per field.

Wagtail's database indexers ask every search field for its text once per
column (title, body, autocomplete; on PostgreSQL also the plain-text mirrors),
so a StreamField body is turned into text three to five times. `FieldTexts`
reads each field once and skips `RelatedFields` that only hold filter fields
(the topics, countries and authors an article is filtered by), which would
otherwise cost a query per relation per column for every article indexed.
"""

from __future__ import annotations

from functools import cached_property

from django.db.models import Manager
from django.utils.encoding import force_str
from wagtail.search.index import AutocompleteField, RelatedFields, SearchField

# Search fields with at least this boost are the "headline column" on SQLite:
# the headline (boost 2 on Page) and the dek.
HEADLINE_BOOST = 2


def prepare_value(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(prepare_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(prepare_value(item) for item in value.values())
    return force_str(value)


def _has_text(field: RelatedFields) -> bool:
    return any(
        isinstance(sub, (SearchField, AutocompleteField)) or (isinstance(sub, RelatedFields) and _has_text(sub))
        for sub in field.fields
    )


def _field_texts(obj, fields):
    for field in fields:
        if isinstance(field, (SearchField, AutocompleteField)):
            yield field, prepare_value(field.get_value(obj))
        elif isinstance(field, RelatedFields) and _has_text(field):
            related = field.get_value(obj)
            if related is None:
                continue
            if isinstance(related, Manager):
                related_objects = list(related.all())
            else:
                related_objects = [related() if callable(related) else related]
            for related_obj in related_objects:
                yield from _field_texts(related_obj, field.fields)


class FieldTexts:
    """The text of each search and autocomplete field of one object, read once."""

    def __init__(self, obj):
        self.obj = obj

    @cached_property
    def values(self) -> list[tuple[SearchField | AutocompleteField, str]]:
        return list(_field_texts(self.obj, self.obj.get_search_fields()))

    def search(self) -> list[tuple[SearchField, str]]:
        return [(field, text) for field, text in self.values if isinstance(field, SearchField)]

    def autocomplete(self) -> list[tuple[AutocompleteField, str]]:
        return [(field, text) for field, text in self.values if isinstance(field, AutocompleteField)]

    @staticmethod
    def is_headline(field: SearchField) -> bool:
        return field.field_name == "title" or (field.boost or 0) >= HEADLINE_BOOST
