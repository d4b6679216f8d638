"""Deployment checks (`manage.py check --deploy`): newsletter links must be HTTPS; webhooks authenticated."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def newsletter_settings(app_configs, **kwargs):
    problems = []
    if not settings.NEWSLETTER_BASE_URL.startswith("https://"):
        problems.append(
            checks.Warning(
                "NEWSLETTER_BASE_URL is not HTTPS: List-Unsubscribe and every link in newsletters need it.",
                id="newsletters.W001",
            )
        )
    if not (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"):
        problems.append(
            checks.Warning(
                "ANYMAIL_WEBHOOK_SECRET is empty: bounce and complaint webhooks are ignored.",
                id="newsletters.W002",
            )
        )
    return problems
