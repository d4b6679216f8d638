"""The site's URLs as `make run` routes them under DEBUG: the outbox first, then everything else."""

from django.urls import include, path

urlpatterns = [
    path("dev/outbox/", include("masthead.devtools.urls")),
    path("", include("masthead.urls")),
]
