import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import path

PAGE = Path(os.environ["BENCH_CEILING_HTML"]).read_bytes()


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE, content_type="text/html; charset=utf-8")


urlpatterns = [path("", page)]
