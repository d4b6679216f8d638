import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import path

REFERENCE = Path(os.environ["BENCH_CEILING_HTML"])
PAGE = REFERENCE.read_bytes()
# Each scenario's own page beside the reference (`<scenario>.html`, the answer to its first request), so that
# each scenario is measured beside a view returning a page of its size: a subscriber's page is the whole article.
PAGES = {file.stem: file.read_bytes() for file in REFERENCE.parent.glob("*.html")}


def page(request: HttpRequest, name: str | None = None) -> HttpResponse:
    body = PAGE if name is None else PAGES.get(name)
    if body is None:
        return HttpResponseNotFound(b"no such page", content_type="text/plain")
    return HttpResponse(body, content_type="text/html; charset=utf-8")


urlpatterns = [path("", page), path("<str:name>.html", page)]
