"""axe-core, injected into each kind of reader page, finds no violations."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.publication import build_publication

# serialized_rollback restores what migrations load (countries, the home page) after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_reader_pages_have_no_accessibility_violations(new_page):
    publication = build_publication()
    urls = {
        "home": "/",
        "article": publication.lead.url,
        "topic hub": publication.topic.get_absolute_url(),
        "country hub": publication.country.get_absolute_url(),
        "region hub": publication.country.region.get_absolute_url(),
        "author page": publication.author.get_absolute_url(),
        "article archive": "/analysis/",
        "not found": "/topics/no-such-topic/",
    }
    page = new_page()
    axe = Axe()
    reports = {}
    for name, url in urls.items():
        page.goto(url)
        results = axe.run(page)
        if results.violations_count:
            reports[name] = results.generate_report()
    assert not reports, "\n\n".join(f"{name}:\n{report}" for name, report in reports.items())
