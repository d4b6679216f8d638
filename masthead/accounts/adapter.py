"""How Masthead customises allauth: through its adapter, never by copying its views."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        # The publication's name, not the Django Site's domain, opens every subject line.
        return f"{settings.WAGTAIL_SITE_NAME}: {subject}"

    def is_open_for_signup(self, request) -> bool:
        return True
