"""Rebuild the search index in batches, remembering how far it got.

Each batch of objects is read in primary-key order with what its search
fields need prefetched, written with the backend's bulk API, and the last
primary key written is saved in `ReindexState` in the same transaction, so
`--resume` carries on after the last batch that was committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from wagtail.search.backends import get_search_backend
from wagtail.search.index import get_indexed_models

from .models import ReindexState

Progress = Callable[[str, int, int], None]  # (model label, done, total)


@dataclass
class ReindexReport:
    indexed: int = 0
    seconds: float = 0.0
    models: int = 0


def model_label(model) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def indexed_models(only: Iterable[str] = ()) -> list:
    wanted = {label.lower() for label in only}
    models = [model for model in get_indexed_models() if model.get_search_fields()]
    if wanted:
        models = [model for model in models if model_label(model).lower() in wanted]
    return models


def _state(backend_name: str, model, *, resume: bool) -> ReindexState:
    now = timezone.now()
    state, created = ReindexState.objects.get_or_create(
        backend=backend_name, model=model_label(model), defaults={"started_at": now, "updated_at": now}
    )
    if not resume or created or state.finished_at is not None:
        state.last_pk = 0
        state.indexed = 0
        state.started_at = now
        state.updated_at = now
        state.finished_at = None
        state.save()
    return state


def reindex(
    *,
    backend_name: str = "default",
    batch_size: int = 500,
    resume: bool = False,
    models: Iterable[str] = (),
    progress: Progress | None = None,
) -> ReindexReport:
    """Write every indexed object to the backend, `batch_size` at a time; stale entries are removed at the end."""
    backend = get_search_backend(backend_name)
    report = ReindexReport()
    started = time.monotonic()
    chosen = indexed_models(models)
    for model in chosen:
        index = backend.get_index_for_model(model)
        index.add_model(model)
        state = _state(backend_name, model, resume=resume)
        queryset = model.get_indexed_objects().order_by("pk")
        total = queryset.count()
        done = queryset.filter(pk__lte=state.last_pk).count() if state.last_pk else 0
        if progress:
            progress(model_label(model), done, total)
        while True:
            batch = list(queryset.filter(pk__gt=state.last_pk)[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                backend.add_bulk(model, batch)
                state.last_pk = batch[-1].pk
                state.indexed += len(batch)
                state.updated_at = timezone.now()
                state.save(update_fields=["last_pk", "indexed", "updated_at"])
            done += len(batch)
            report.indexed += len(batch)
            if progress:
                progress(model_label(model), done, total)
        state.finished_at = timezone.now()
        state.save(update_fields=["finished_at"])
        report.models += 1

    if not models:
        rebuilder_class = getattr(backend, "rebuilder_class", None)
        if rebuilder_class is not None:
            for index in _indexes(backend, chosen):
                finish_rebuild(index)
    optimize(backend, chosen)
    report.seconds = time.monotonic() - started
    return report


def _indexes(backend, models) -> list:
    """The backend's indexes of these models, each once (the database backends keep every model in one index)."""
    indexes: dict = {}
    for model in models:
        index = backend.get_index_for_model(model)
        indexes.setdefault(index.get_key(), index)
    return list(indexes.values())


def optimize(backend, models) -> None:
    """Leave the index ready for fast reads: the backends' `optimize` (SQLite: merge FTS5's segments)."""
    for index in _indexes(backend, models):
        if hasattr(index, "optimize"):
            index.optimize()


def finish_rebuild(index) -> None:
    """Drop entries of objects that no longer exist and refresh the database backends' title norms."""
    if hasattr(index, "delete_stale_entries"):
        index.delete_stale_entries()
    if hasattr(index, "_refresh_title_norms"):
        index._refresh_title_norms(full=True)
