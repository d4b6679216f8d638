"""Settings shared by every environment. Values come from environment variables.

`dev`, `test` and `production` import from here and change only what differs.
"""

from pathlib import Path
from typing import Any

import dj_database_url

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("MASTHEAD_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-never-use-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "masthead.accounts",
    "masthead.core",
    "masthead.access",
    "masthead.distribution",
    "masthead.api",
    "masthead.articles",
    "masthead.home",
    "masthead.search",
    "masthead.demo",
    "masthead.newsletters",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "anymail",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # The request's site and site settings from this process's copies (after the host is checked above).
    "masthead.core.sites.KeptSiteMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "masthead.urls"
WSGI_APPLICATION = "masthead.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "masthead" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "masthead.core.context_processors.navigation",
                "masthead.accounts.context_processors.pending_code",
            ],
        },
    },
]


def _database_from_env() -> dict[str, Any]:
    default_sqlite = f"sqlite:///{VAR_DIR / 'masthead.sqlite3'}"
    config: dict[str, Any] = dict(
        dj_database_url.parse(
            env_str("DATABASE_URL", default_sqlite),
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if config["NAME"] != ":memory:":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # One writer at a time without "database is locked" under the
        # development server and the task worker: WAL plus IMMEDIATE transactions.
        # Pages read from the file mapped into memory (up to 2 GB, SQLite's largest), not copied in by a system
        # call each (its page cache holds 2 MB): 100,000 articles' search index is 2 GB, and a common word's
        # facets read 10,000 articles' rows and relations (38 against 44 ms).
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=5000;PRAGMA foreign_keys=ON;"
                "PRAGMA mmap_size=2147418112;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
        # Kept open like PostgreSQL's: opening one runs the PRAGMAs above, 3-6 ms a request otherwise.
        config["CONN_HEALTH_CHECKS"] = False  # a file does not go away like a server's socket
    return config


DATABASES = {"default": _database_from_env()}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Wagtail's PostgreSQL search index needs the contrib app's lookups and checks.
    INSTALLED_APPS.append("django.contrib.postgres")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, with the signed-in reader's row kept between requests (see the module).
AUTHENTICATION_BACKENDS = [
    "masthead.accounts.backends.ModelBackend",
    "masthead.accounts.backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# Readers identify by email alone and sign in with a code sent to it; passwords are optional.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
# Codes, not links: nothing a mail scanner fetches can confirm an address or sign anyone in.
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 5
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "masthead.accounts.adapter.AccountAdapter"
# Per IP and per address ("key"); counted in the cache, so Redis (REDIS_URL) in production.
ACCOUNT_RATE_LIMITS = {
    "gate": "20/m/ip,3/10m/key",
    "request_login_code": "20/m/ip,3/10m/key",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("MASTHEAD_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "masthead" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MASTHEAD_SERVE_MEDIA = env_bool("MASTHEAD_SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Shared by every process of the deployment (rate limits, sessions, kept article renderings): Redis in
# production, files under var/cache on the embedded default (one machine, several server processes).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("REDIS_URL")}
        if env_str("REDIS_URL", "")
        else {
            "BACKEND": "masthead.core.cache.FileCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": env_int("FILE_CACHE_MAX_ENTRIES", 20_000)},
        }
    )
}
# Sessions are read from the cache and written through to the database: a request costs no query for them.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# The embedded default queues work in the database; `manage.py db_worker` runs it.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

WAGTAIL_SITE_NAME = env_str("MASTHEAD_SITE_NAME", "The Meridian Review")
WAGTAILADMIN_BASE_URL = env_str("MASTHEAD_BASE_URL", "http://127.0.0.1:8000")
WAGTAILIMAGES_IMAGE_MODEL = "core.MastheadImage"
# Wagtail's database backends tuned by masthead.search (stemming, ranking); see docs/features/search.md.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "masthead.search.backends"}}
WAGTAIL_I18N_ENABLED = False
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]

MAILERS: dict[str, dict[str, Any]] = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "The Meridian Review <editors@meridian.example>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Access (the paywall). How many proxies of ours append to X-Forwarded-For; 0 trusts only the socket.
ACCESS_TRUSTED_PROXIES = env_int("ACCESS_TRUSTED_PROXIES", 0)
# Seconds funnel counts gather in a process before they are written.
ACCESS_FUNNEL_FLUSH_SECONDS = env_int("ACCESS_FUNNEL_FLUSH_SECONDS", 5)
# Where the paywall's "Subscribe" button points; empty hides it until billing exists.
MASTHEAD_SUBSCRIBE_URL = env_str("MASTHEAD_SUBSCRIBE_URL", "")

# --- Newsletters (masthead.newsletters; docs/features/newsletters.md) ---------------------------
# Absolute links in newsletters (articles, images, List-Unsubscribe, preferences): HTTPS in production.
NEWSLETTER_BASE_URL = env_str("NEWSLETTER_BASE_URL", WAGTAILADMIN_BASE_URL)
# The From of every newsletter; empty means DEFAULT_FROM_EMAIL.
NEWSLETTER_FROM_EMAIL = env_str("NEWSLETTER_FROM_EMAIL", "") or DEFAULT_FROM_EMAIL
# Emails per second per send worker; 0 sends as fast as the mail server accepts.
NEWSLETTER_SEND_RATE = float(env_str("NEWSLETTER_SEND_RATE", "0"))
# Deliveries a worker claims at a time (one SMTP connection per batch).
NEWSLETTER_BATCH_SIZE = env_int("NEWSLETTER_BATCH_SIZE", 200)
# Emails a send worker may have handed to the mail server before their outcomes are committed: the most
# a killed worker can leave flagged "unknown" (1 = commit every email; see docs/features/newsletters.md).
NEWSLETTER_COMMIT_EVERY = env_int("NEWSLETTER_COMMIT_EVERY", 20)
# A send worker silent for this long is dead: its in-flight delivery is flagged, the rest go back to pending.
NEWSLETTER_WORKER_STALE_SECONDS = env_int("NEWSLETTER_WORKER_STALE_SECONDS", 120)
# How often a send running under db_worker is checked for a worker that died mid-send.
NEWSLETTER_WATCHDOG_SECONDS = env_int("NEWSLETTER_WATCHDOG_SECONDS", 120)
# PostgreSQL: send workers commit outcomes without waiting for the disk (safe if a worker dies; a crash of
# the database server may repeat the last fraction of a second of emails). See docs/features/newsletters.md.
NEWSLETTER_ASYNC_COMMIT = env_bool("NEWSLETTER_ASYNC_COMMIT", False)
# Days a preferences link from an email keeps working (unsubscribe links never expire).
NEWSLETTER_PREFERENCES_LINK_DAYS = env_int("NEWSLETTER_PREFERENCES_LINK_DAYS", 365)
# Bounce and complaint webhooks (django-anymail): basic-auth "user:password" the ESP is given.
ANYMAIL = {"WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET", "")}
