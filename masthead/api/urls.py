"""The read-only content API, mounted at `/api/` (see docs/features/content-api.md)."""

from django.urls import path, re_path

from . import views

app_name = "api"

urlpatterns = [
    path("v1/articles/", views.article_list, name="article_list"),
    path("v1/articles/<str:article_id>/", views.article_detail, name="article_detail"),
    # Anything else under /api/ is a JSON 404, not the site's HTML page.
    re_path(r"^.*/$", views.not_found, name="not_found"),
]
