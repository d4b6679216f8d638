"""The development outbox: the emails the publication would have sent, read back from the file backend."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.apps import apps
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import outbox as outbox_files


def installed() -> bool:
    """Only `masthead.settings.dev` installs this app; elsewhere its templates are not even found."""
    return apps.is_installed("masthead.devtools")


def debug_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Not found unless DEBUG is on and this app installed, wherever the URL happens to be routed."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.DEBUG or not installed():
            raise Http404("The outbox exists in development only.")
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@never_cache
@debug_only
def outbox(request: HttpRequest) -> HttpResponse:
    directory = outbox_files.outbox_directory()
    messages = outbox_files.read_outbox(directory) if directory else []
    return TemplateResponse(
        request,
        "devtools/outbox.html",
        {"directory": directory, "outbox_messages": messages, "backend": _backend()},
    )


@require_GET
@never_cache
@debug_only
def outbox_message(request: HttpRequest, filename: str, index: int) -> HttpResponse:
    directory = outbox_files.outbox_directory()
    message = outbox_files.read_message(directory, filename=filename, index=index) if directory else None
    if message is None:
        raise Http404("No such email in the outbox.")
    return TemplateResponse(request, "devtools/outbox_message.html", {"message": message})


def _backend() -> str:
    return getattr(settings, "MAILERS", {}).get("default", {}).get("BACKEND", "")
