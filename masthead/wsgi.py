import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings.production")

application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018  (import every view now rather than on the first request)

# What is loaded by now (Django, Wagtail, apps, URL patterns) lives as long as the process: keep it out of
# the cyclic garbage collector's full scans, which otherwise stall a request now and then to walk all of it.
gc.freeze()
