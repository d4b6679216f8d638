"""Settings for send-worker subprocesses in the fault test and the benchmark.

The shared settings (database from DATABASE_URL, media under MASTHEAD_VAR_DIR)
with the default mailer pointed at a real SMTP server on loopback
(NEWSLETTER_SMTP_PORT), the database task backend, and the send workers'
commit window from NEWSLETTER_COMMIT_EVERY when it is given.
"""

import os

from masthead.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": int(os.environ.get("NEWSLETTER_SMTP_PORT", "25")), "timeout": 10},
    }
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if os.environ.get("NEWSLETTER_COMMIT_EVERY"):
    NEWSLETTER_COMMIT_EVERY = int(os.environ["NEWSLETTER_COMMIT_EVERY"])
