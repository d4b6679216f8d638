"""A reader gives an email on a gated article, reads it all, signs out, and signs in on a second device."""

import re

import pytest
from playwright.sync_api import expect

from masthead.access.tests import factories
from masthead.core.testing.smtp import text_of

# serialized_rollback restores what migrations load (countries, the home page) after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

GATED_SENTENCE = "Paragraph four develops it."


def _code(message) -> str:
    return re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", text_of(message)).group(1)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript on", "javascript off"])
def test_a_reader_registers_on_the_gate_reads_on_and_signs_in_on_a_second_device(new_page, smtp_server, javascript):
    article = factories.gated_article(factories.marker())
    first_device = new_page(java_script_enabled=javascript)

    first_device.goto(article.url)
    expect(first_device.locator(".paywall")).to_be_visible()
    assert GATED_SENTENCE not in first_device.content()

    first_device.get_by_label("Email address").fill("traveller@example.org")
    first_device.get_by_role("button", name="Keep reading").click()

    expect(first_device.get_by_text(GATED_SENTENCE)).to_be_visible()
    expect(first_device.locator(".paywall")).to_have_count(0)
    first_code = _code(smtp_server.wait_for(1)[0])
    first_device.get_by_label("Code").fill(first_code)
    first_device.get_by_role("button", name="Confirm").click()
    expect(first_device.get_by_role("link", name="Your account")).to_be_visible()

    first_device.get_by_role("button", name="Sign out").click()
    if first_device.get_by_role("button", name="Sign out").count():
        first_device.get_by_role("button", name="Sign out").click()  # allauth's confirmation page
    expect(first_device.get_by_role("link", name="Sign in")).to_be_visible()

    second_device = new_page(java_script_enabled=javascript)
    second_device.goto("/accounts/login/")
    second_device.get_by_label("Email").fill("traveller@example.org")
    second_device.get_by_role("button", name=re.compile("code", re.I)).click()
    second_code = _code(smtp_server.wait_for(2)[1])
    second_device.get_by_label("Code").fill(second_code)
    second_device.get_by_role("button", name=re.compile("sign in|confirm", re.I)).click()

    second_device.goto("/account/")
    main = second_device.get_by_role("main")
    expect(main).to_contain_text("traveller@example.org")
    expect(main).to_contain_text(re.compile(r"0 of your 3 free articles"))
    expect(main.get_by_role("link", name=article.title)).to_be_visible()
