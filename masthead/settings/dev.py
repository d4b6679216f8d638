"""Development: the embedded default that `make run` serves."""

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)
# Emails are written to var/outbox/ where the operator of the demo can read them.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(VAR_DIR / "outbox")},  # noqa: F405
    }
}
# The outbox page (/dev/outbox/) and other development aids; routed only when DEBUG is true.
INSTALLED_APPS = [*INSTALLED_APPS, "masthead.devtools"]  # noqa: F405
# Serve static files from the app folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
