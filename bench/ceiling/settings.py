"""Settings of the ceiling project: the minimum Django needs to answer a request."""

import os

SECRET_KEY = os.environ.get("SECRET_KEY", "ceiling-has-no-secrets-to-keep-but-django-wants-a-key")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.ceiling.urls"
WSGI_APPLICATION = "bench.ceiling.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict] = {}
USE_TZ = True
