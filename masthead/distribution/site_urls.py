"""What distribution and the content API add to the site's URLs: the one include in `masthead/urls.py`.

Kept apart from `urls.py` so each app keeps its own namespace (`distribution:`, `api:`).
"""

from django.urls import include, path

urlpatterns = [
    path("", include("masthead.distribution.urls")),
    path("api/", include("masthead.api.urls")),
]
