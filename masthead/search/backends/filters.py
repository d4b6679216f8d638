"""Translate a search queryset's filters into SQL on the matched page id, as Wagtail's Elasticsearch backend does.

Wagtail's database backends run a search's filters by filtering the queryset
itself, which on a large library means joining the article table (whose rows
carry the whole body) for every match. Here, as Wagtail's Elasticsearch
backend turns `FilterField`s into its own query language, each filter becomes
a predicate on the matched page's id:

- a field of the searched model (`kind`): `id IN (SELECT pk FROM articles WHERE kind = ...)`,
  read from the field's index once per query;
- a relation declared with `RelatedFields` (topics, countries and their region,
  authors): `id IN (SELECT ... FROM the relation's tables WHERE ...)`;
- a field of `Page`: with `page_id_sets` and an index on the column (`first_published_at`),
  `id IN (SELECT id FROM pages WHERE ...)`; otherwise a comparison on the joined page row `p`;
- `live`: left to the backend (`live_sql`), which knows the cheapest way.

Anything it cannot translate raises `Untranslatable`; the caller then uses the
queryset as Django compiles it, which is always right, only slower.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import ForeignKey, ManyToManyField
from django.db.models.expressions import Col
from django.db.models.fields.related import ForeignObjectRel
from django.db.models.lookups import Lookup
from django.db.models.sql.where import NothingNode, WhereNode
from wagtail.models import Page
from wagtail.search.index import FilterField, RelatedFields

from .terms import YEAR_FIELD, any_of, term, years_between

PAGE_ALIAS = "p"
_OPERATORS = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class Untranslatable(Exception):
    pass


@dataclass
class FilterSQL:
    sql: str
    params: list = field(default_factory=list)
    needs_page: bool = False  # uses columns of the joined page row `p`
    # A tsquery of filter terms (`terms.py`) every entry kept by `sql` has, if one is known: a looser condition
    # the GIN index can check beside the words. None: none.
    terms: str | None = None
    names_pages: bool = False  # names a list of page ids (`pk__in`): a filter of its own, seldom asked again


class FilterTranslator:
    """Predicates on `id_sql` (the matched page's id) for the where clause of the compiler's queryset."""

    def __init__(
        self,
        compiler,
        connection,
        *,
        id_sql: str,
        live_sql: Callable[[bool], FilterSQL],
        page_id_sets: bool = False,
        entry_id_sql: str | None = None,
    ):
        self.compiler = compiler
        self.entry_id_sql = entry_id_sql
        self.page_id_sets = page_id_sets
        self.connection = connection
        self.model = compiler.queryset.model
        self.quote = connection.ops.quote_name
        self.id_sql = id_sql
        self.live_sql = live_sql
        self._aliases = 0

    def translate(self) -> FilterSQL:
        return self._node(self.compiler.queryset.query.where)

    # --- the where tree ---

    def _node(self, node) -> FilterSQL:
        if isinstance(node, NothingNode):
            return FilterSQL("1 = 0")
        if isinstance(node, Lookup):
            return self._lookup(node)
        if isinstance(node, WhereNode):
            parts = [self._node(child) for child in node.children]
            sql = f" {node.connector} ".join(f"({part.sql})" for part in parts) if parts else "1 = 1"
            if node.negated:
                sql = f"NOT ({sql})"
            return FilterSQL(
                sql,
                [param for part in parts for param in part.params],
                any(part.needs_page for part in parts),
                None if node.negated else self._combined_terms(node.connector, parts),
                any(part.names_pages for part in parts),
            )
        raise Untranslatable(type(node).__name__)

    def _lookup(self, lookup: Lookup) -> FilterSQL:
        column = lookup.lhs
        if not isinstance(column, Col) or hasattr(lookup.rhs, "as_sql") or hasattr(lookup.rhs, "query"):
            raise Untranslatable("only plain columns compared with values")
        target = column.target
        if target.primary_key and target.model in (Page, *self.model._meta.get_parent_list(), self.model):
            compared = self._compare(self.id_sql, lookup.lookup_name, lookup.rhs, target)
            compared.names_pages = lookup.lookup_name == "in"
            if self.entry_id_sql and lookup.lookup_name in ("in", "exact") and compared.params:
                # The same ids as the entry's text (an equivalent condition: NOT of both is NOT of either).
                as_text = [str(value) for value in compared.params]
                also = f"{self.entry_id_sql} IN ({', '.join(['%s'] * len(as_text))})"
                return FilterSQL(
                    f"({compared.sql}) AND ({also})", [*compared.params, *as_text], names_pages=compared.names_pages
                )
            return compared
        *related, filter_field = self.compiler._get_filter_field_path_for_column(column)
        if related:
            return self._related(related, filter_field, lookup)
        django_field = filter_field.get_field(self.model)
        owner = django_field.model._meta.concrete_model
        if owner is Page:
            if django_field.name == "live" and lookup.lookup_name == "exact" and isinstance(lookup.rhs, bool):
                return self.live_sql(lookup.rhs)
            if self.page_id_sets and django_field.db_index:
                # An indexed column (first_published_at): the ids in range, read from its index once.
                compared = self._compare(self.quote(django_field.column), lookup.lookup_name, lookup.rhs, django_field)
                return self._with_year_terms(
                    FilterSQL(
                        f"{self.id_sql} IN (SELECT id FROM {self.quote(Page._meta.db_table)} WHERE {compared.sql})",  # noqa: S608
                        compared.params,
                    ),
                    django_field,
                    lookup,
                )
            compared = self._compare(
                f"{PAGE_ALIAS}.{self.quote(django_field.column)}", lookup.lookup_name, lookup.rhs, django_field
            )
            compared.needs_page = True
            return self._with_year_terms(compared, django_field, lookup)
        if owner is self.model._meta.concrete_model:
            meta = self.model._meta
            compared = self._compare(self.quote(django_field.column), lookup.lookup_name, lookup.rhs, django_field)
            translated = FilterSQL(
                f"{self.id_sql} IN (SELECT {self.quote(meta.pk.column)} FROM {self.quote(meta.db_table)} "  # noqa: S608
                f"WHERE {compared.sql})",
                compared.params,
            )
            return self._with_terms(translated, filter_field.field_name, lookup.lookup_name)
        raise Untranslatable("a field of an intermediate parent model")

    @staticmethod
    def _combined_terms(connector: str, parts: list[FilterSQL]) -> str | None:
        """AND: the terms of the parts that have some (a looser condition is still kept by every page); OR: all's."""
        terms = [part.terms for part in parts if part.terms]
        if connector == "OR" and len(terms) < len(parts):
            return None
        return f" {'|' if connector == 'OR' else '&'} ".join(f"({value})" for value in terms) or None

    @staticmethod
    def _with_terms(compared: FilterSQL, path: str, lookup_name: str | None) -> FilterSQL:
        """An equality or a list of values of an indexed filter field names the terms of those values."""
        if lookup_name in ("exact", "in"):
            compared.terms = any_of([term(path, value) for value in compared.params])
        return compared

    @staticmethod
    def _with_year_terms(compared: FilterSQL, django_field, lookup: Lookup) -> FilterSQL:
        """A range of publication dates within a few years names the terms of its years (`terms.years_between`)."""
        if django_field.name == YEAR_FIELD and lookup.lookup_name == "range":
            compared.terms = years_between(*lookup.rhs)
        return compared

    # --- relations declared with RelatedFields ---

    def _alias(self) -> str:
        self._aliases += 1
        return f"r{self._aliases}"

    def _related(self, related: list[RelatedFields], filter_field: FilterField, lookup: Lookup) -> FilterSQL:
        """`id IN (SELECT <the searched model's id> FROM <the relation's tables> WHERE <the filter>)`."""
        tables: list[str] = []
        selected = ""
        model = self.model
        alias = ""
        for related_fields in related:
            django_field = related_fields.get_field(model)
            if isinstance(django_field, ManyToManyField):
                through, target = self._alias(), self._alias()
                related_model = django_field.related_model
                if tables:
                    raise Untranslatable("a many-to-many relation past the first")
                selected = f"{through}.{self.quote(django_field.m2m_column_name())}"
                tables.append(f"{self.quote(django_field.m2m_db_table())} {through}")
                tables.append(
                    f"JOIN {self.quote(related_model._meta.db_table)} {target} "
                    f"ON {target}.{self.quote(related_model._meta.pk.column)} = "
                    f"{through}.{self.quote(django_field.m2m_reverse_name())}"
                )
            elif isinstance(django_field, ForeignObjectRel) and django_field.multiple:
                target = self._alias()
                related_model = django_field.related_model
                if tables:
                    raise Untranslatable("a reverse relation past the first")
                selected = f"{target}.{self.quote(django_field.field.column)}"
                tables.append(f"{self.quote(related_model._meta.db_table)} {target}")
            elif isinstance(django_field, ForeignKey) and tables:
                target = self._alias()
                related_model = django_field.related_model
                tables.append(
                    f"JOIN {self.quote(related_model._meta.db_table)} {target} "
                    f"ON {target}.{self.quote(related_model._meta.pk.column)} "
                    f"= {alias}.{self.quote(django_field.column)}"
                )
            else:
                raise Untranslatable(type(django_field).__name__)
            alias = target
            model = related_model
        filter_django_field = filter_field.get_field(model)
        compared = self._compare(
            f"{alias}.{self.quote(filter_django_field.column)}", lookup.lookup_name, lookup.rhs, filter_django_field
        )
        translated = FilterSQL(
            f"{self.id_sql} IN (SELECT {selected} FROM {' '.join(tables)} WHERE {compared.sql})",  # noqa: S608
            compared.params,
        )
        if len(related) > 1:
            return translated
        return self._with_terms(translated, f"{related[0].field_name}.{filter_field.field_name}", lookup.lookup_name)

    # --- comparisons ---

    def _prepare(self, django_field, value):
        target = django_field
        while target.is_relation and getattr(target, "target_field", None) is not None:
            target = target.target_field
        if hasattr(value, "pk"):
            value = value.pk
        return target.get_db_prep_value(value, self.connection, prepared=False)

    def _compare(self, column: str, lookup_name: str | None, value, django_field) -> FilterSQL:
        if lookup_name == "isnull":
            return FilterSQL(f"{column} IS {'' if value else 'NOT '}NULL")
        if lookup_name == "in":
            values = [self._prepare(django_field, item) for item in value]
            if not values:
                return FilterSQL("1 = 0")
            return FilterSQL(f"{column} IN ({', '.join(['%s'] * len(values))})", values)
        if lookup_name == "range":
            low, high = (self._prepare(django_field, item) for item in value)
            return FilterSQL(f"{column} BETWEEN %s AND %s", [low, high])
        if lookup_name in _OPERATORS:
            if value is None:
                return FilterSQL(f"{column} IS NULL")
            return FilterSQL(f"{column} {_OPERATORS[lookup_name]} %s", [self._prepare(django_field, value)])
        raise Untranslatable(lookup_name)
