"""The request's site and site settings, kept per content version by each process (masthead.core.sites)."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, Site

from masthead.access.models import AccessSettings
from masthead.core import content_version, sites
from masthead.core.models import PublicationSettings

pytestmark = pytest.mark.django_db


def _site_and_settings_queries(captured) -> list[str]:
    tables = ("wagtailcore_site", PublicationSettings._meta.db_table, AccessSettings._meta.db_table)
    return [q["sql"] for q in captured.captured_queries if any(f'"{t}"' in q["sql"] for t in tables)]


def _primed(host: str = "localhost"):
    request = RequestFactory().get("/search/", HTTP_HOST=host)
    sites.prime(request)
    return request


@pytest.fixture
def default_site():
    site = Site.objects.get(is_default_site=True)
    AccessSettings.for_site(site)  # made on first use, which raises the content version: made beforehand
    PublicationSettings.for_site(site)
    return site


def test_a_page_rendered_by_django_reads_site_and_settings_once_per_content_version(client, default_site):
    client.get("/search/?q=reform")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search/?q=treaty")
    assert response.status_code == 200
    assert _site_and_settings_queries(captured) == []


def test_a_saved_setting_shows_on_the_next_page(client, default_site):
    settings_row = PublicationSettings.for_site(default_site)
    settings_row.tagline = "Oldtaglinewordsxq"
    settings_row.save()
    assert "Oldtaglinewordsxq" in client.get("/search/").content.decode()
    settings_row.tagline = "Newtaglinewordszq"
    settings_row.save()  # raises the content version
    page = client.get("/search/").content.decode()
    assert "Newtaglinewordszq" in page and "Oldtaglinewordsxq" not in page


def test_each_request_gets_its_own_copies(default_site):
    first, second = _primed(), _primed()
    assert first._wagtail_site.pk == second._wagtail_site.pk == default_site.pk
    assert first._wagtail_site is not second._wagtail_site
    assert first._wagtail_site.root_page is not second._wagtail_site.root_page
    first_settings = PublicationSettings.for_request(first)
    assert first_settings is not PublicationSettings.for_request(second)
    assert first_settings._request is first
    first._wagtail_site.site_name = "changed by one request"
    assert _primed()._wagtail_site.site_name != "changed by one request"


def test_each_host_gets_its_own_site(default_site):
    root = Page.get_first_root_node()
    other_home = root.add_child(instance=Page(title="Other", slug="other-home"))
    other = Site.objects.create(hostname="other.example", port=80, root_page=other_home, site_name="Other")
    assert _primed("other.example")._wagtail_site.pk == other.pk
    assert _primed("localhost")._wagtail_site.pk == default_site.pk
    assert AccessSettings.for_request(_primed("other.example")).site_id == other.pk


def test_without_a_content_version_wagtail_reads_the_site_itself(default_site, monkeypatch):
    monkeypatch.setattr(content_version, "current", lambda: -1)
    request = _primed()
    assert not hasattr(request, "_wagtail_site")
    assert Site.find_for_request(request).pk == default_site.pk
