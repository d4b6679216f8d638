"""Fixtures shared by every test package."""

import pytest


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache and empty process memos, as a fresh deployment would.

    The memos are keyed on versions kept in the database, which a test's
    rollback puts back: without this a later test could meet an earlier one's copy.
    """
    from django.core.cache import cache

    from masthead.core.memo import forget_all

    cache.clear()
    forget_all()


@pytest.fixture
def country(db):
    from masthead.articles.models import Country

    return Country.objects.get(code="AF")


@pytest.fixture
def admin_user(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(email="admin@example.org", password="admin-password-1")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's default mailer sends to it for this test."""
    from masthead.core.testing.smtp import SMTPServer

    with SMTPServer() as server:
        settings.MAILERS = server.mailers_setting()
        yield server
