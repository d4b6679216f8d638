import gc
import os

import django
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings.production")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application does

from masthead.articles.early import Handler  # noqa: E402  (needs the apps loaded)

# Django's WSGI handler, with the pages this process keeps answered before it (masthead.articles.early).
application = Handler()
get_resolver().url_patterns  # noqa: B018  (import every view now rather than on the first request)

# What is loaded by now (Django, Wagtail, apps, URL patterns) lives as long as the process: keep it out of
# the cyclic garbage collector's full scans, which otherwise stall a request now and then to walk all of it.
gc.freeze()
