"""A reader finds their way from the front page to an article, its topic and its author."""

import pytest
from playwright.sync_api import expect

from tests.browser.publication import build_publication

# serialized_rollback restores what migrations load (countries, the home page) after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_reader_goes_from_the_front_page_to_an_article_its_topic_and_its_author(new_page):
    publication = build_publication()
    page = new_page()

    page.goto("/")
    expect(page.get_by_role("main")).to_contain_text(publication.lead.title)
    page.get_by_role("main").get_by_role("link", name=publication.lead.title).first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(publication.lead.title)
    expect(page.get_by_text(publication.lead.dek)).to_be_visible()
    expect(page.get_by_text("In-depth report").first).to_be_visible()
    expect(page.get_by_text("The reservoir filled two seasons early.")).to_be_visible()
    expect(page.get_by_text("Photo: Kofi Imaginario / Delta Pictures")).to_be_visible()
    expect(page.get_by_text("Whoever controls the sluice controls the conversation.").first).to_be_visible()
    expect(page.get_by_text("What follows is a treaty in all but name")).to_be_visible()
    lead_image = page.get_by_role("img", name="A dam wall seen from the river below")
    expect(lead_image).to_be_visible()
    assert lead_image.evaluate("img => img.naturalWidth") > 0, "the lead image did not load"
    bios = page.locator(".author-bios")
    expect(bios).to_contain_text("Writes about river basins, dams and the treaties that govern them.")

    page.get_by_role("navigation", name="Topics and countries").get_by_role("link", name="Water politics").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Water politics")
    expect(page.get_by_role("main")).to_contain_text("Briefing: the basin this week, part 1")
    page.get_by_role("main").get_by_role("link", name=publication.lead.title).first.click()

    page.get_by_role("main").get_by_role("link", name="Marisol Eklund-Adeyemi").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Marisol Eklund-Adeyemi")
    expect(page.get_by_role("main")).to_contain_text("Senior fellow, Institute for Upstream Studies")
    expect(page.get_by_role("main").get_by_role("link", name=publication.lead.title)).to_be_visible()


def test_an_article_reads_in_full_with_javascript_off(new_page):
    publication = build_publication()
    page = new_page(java_script_enabled=False)

    page.goto(publication.lead.url)

    expect(page.get_by_role("heading", level=1)).to_have_text(publication.lead.title)
    expect(page.get_by_text("The first is a monitored release schedule")).to_be_visible()


def test_an_unknown_country_shows_the_sites_own_not_found_page(new_page):
    build_publication()
    page = new_page()

    response = page.goto("/countries/atlantis/")

    assert response is not None and response.status == 404
    expect(page.get_by_role("navigation", name="Primary")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_the_article_page_fits_a_phone_screen(new_page):
    publication = build_publication()
    page = new_page(viewport={"width": 390, "height": 844})

    page.goto(publication.lead.url)

    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
