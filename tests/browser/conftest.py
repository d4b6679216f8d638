"""A real browser (Debian's Chromium, driven by Playwright) against a live test server."""

import os

import pytest

CHROMIUM = os.environ.get("MASTHEAD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def reference_data(django_db_setup) -> str:
    """What the migrations loaded (the page tree root, the home page, countries), as serialized at set-up."""
    from django.db import connections

    return connections["default"]._test_serialized_contents


@pytest.fixture(autouse=True)
def _reload_reference_data(reference_data, transactional_db):
    # Each browser test flushes the database afterwards. Django reloads the
    # migrations' data for tests marked serialized_rollback, but once Playwright's
    # event loop runs in this thread the ORM may see a new connection object that
    # lacks the serialized copy: give it the copy (so the flush leaves the
    # reloading to us) and reload when the data is missing.
    from django.core.management import call_command
    from django.db import connections

    from masthead.articles.models import Country

    connection = connections["default"]
    connection._test_serialized_contents = reference_data
    if not Country.objects.exists():
        # An earlier transactional test flushed the database and post_migrate
        # recreated content types and permissions: clear them the way Django's
        # own serialized rollback does before loading the migrations' data back.
        # Keep the sequences where they are (as Django's own teardown flush does):
        # the reloaded rows carry their ids, and a reset sequence would hand
        # those ids out again (duplicate key on PostgreSQL).
        call_command("flush", interactive=False, inhibit_post_migrate=True, reset_sequences=False, verbosity=0)
        connection.creation.deserialize_db_from_string(reference_data)


@pytest.fixture(scope="session", autouse=True)
def _served_as_in_production():
    """The live server runs Masthead's WSGI application, as granian does: kept pages are answered early."""
    from django.test import testcases

    from masthead.articles.early import Handler

    original = testcases.WSGIHandler
    testcases.WSGIHandler = Handler  # what LiveServerThread wraps with its static and media file handlers
    yield
    testcases.WSGIHandler = original


@pytest.fixture(scope="session")
def browser(reference_data):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"Chromium not found at {CHROMIUM}: install it with apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the
    # tests make between browser steps are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context (a new device: no cookies)."""
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(base_url=live_server.url, **context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
