"""The development outbox: emails the file backend wrote, read back; never reachable in production."""

from __future__ import annotations

import copy
import importlib
import os
import re
import time
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.filebased import EmailBackend
from django.test import Client
from django.urls import Resolver404, clear_url_caches, resolve, reverse

import masthead.urls  # imported now, with the test settings' DEBUG off, as production imports it
from masthead.access.tests import factories
from masthead.devtools import outbox, views

pytestmark = pytest.mark.django_db

TEST_URLS = "masthead.devtools.tests.urls"


@pytest.fixture
def outbox_dir(tmp_path, settings, monkeypatch):
    """Development as `make run` has it: DEBUG on, this app installed, emails written to files.

    Installing an app mid-test re-runs every app's ready() (Wagtail's would mount its API twice), so
    the app counts as installed and its templates folder is added to the template directories instead.
    """
    settings.DEBUG = True
    monkeypatch.setattr(views, "installed", lambda: True)
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], Path(views.__file__).parent / "templates"]
    settings.TEMPLATES = templates
    settings.ROOT_URLCONF = TEST_URLS
    settings.MAILERS = {
        "default": {"BACKEND": outbox.FILE_BACKEND, "OPTIONS": {"file_path": str(tmp_path)}},
    }
    return tmp_path


def _write(directory, *messages: EmailMultiAlternatives) -> None:
    EmailBackend(file_path=str(directory)).send_messages(list(messages))


def _email(subject: str, text: str, html: str | None = None, to: str = "reader@example.org"):
    message = EmailMultiAlternatives(subject, text, "The Meridian Review <editors@meridian.example>", [to])
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


def _age(directory, seconds: float) -> None:
    """Make every file in the outbox look `seconds` older, so later writes are newer."""
    for name in os.listdir(directory):
        path = directory / name
        stamp = path.stat().st_mtime - seconds
        os.utime(path, (stamp, stamp))


def test_the_outbox_lists_emails_newest_first_with_their_headers_and_clickable_links(outbox_dir):
    _write(outbox_dir, _email("First email", "Older body"))
    _age(outbox_dir, 60)
    _write(outbox_dir, _email("Second email", "Open https://meridian.example/analysis/ now", to="ada@example.org"))

    html = Client().get("/dev/outbox/").content.decode()

    assert html.index("Second email") < html.index("First email")
    assert "ada@example.org" in html and "The Meridian Review &lt;editors@meridian.example&gt;" in html
    assert '<a href="https://meridian.example/analysis/" rel="nofollow">https://meridian.example/analysis/</a>' in html
    assert '<meta name="robots" content="noindex">' in html


def test_several_messages_in_one_file_are_listed_newest_first(outbox_dir):
    _write(outbox_dir, _email("Written first", "one"), _email("Written second", "two"))

    html = Client().get("/dev/outbox/").content.decode()

    assert html.index("Written second") < html.index("Written first")


def test_the_plain_text_is_escaped_not_rendered(outbox_dir):
    _write(outbox_dir, _email("Markup", "<script>alert('x')</script> <b>bold</b>"))

    html = Client().get("/dev/outbox/").content.decode()

    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_the_detail_page_shows_the_html_part_in_a_sandboxed_frame(outbox_dir):
    _write(
        outbox_dir, _email("With HTML", "Plain words", html='<p class="x">Hello "reader" <script>bad()</script></p>')
    )
    listing = Client().get("/dev/outbox/").content.decode()
    detail_url = re.search(r'href="(/dev/outbox/[^"]+/0/)"', listing).group(1)

    response = Client().get(detail_url)
    html = response.content.decode()
    frame = re.search(r"<iframe[^>]*>", html).group(0)

    assert response.status_code == 200
    assert 'sandbox=""' in frame and 'title="HTML version of the email"' in frame
    assert 'srcdoc="&lt;p class=&quot;x&quot;&gt;Hello &quot;reader&quot; &lt;script&gt;bad()' in frame
    assert "Plain words" in html


def test_a_line_of_dashes_inside_a_body_does_not_split_the_message():
    dashes = "-" * 79
    raw = (
        b"Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 7bit\nSubject: Rules\n\n"
        + f"<p>above</p>\n{dashes}\n<p>below</p>\n".encode()
        + f"\n{dashes}\n".encode()
        + b"Content-Type: text/plain\nSubject: Next\n\nsecond\n"
        + f"\n{dashes}\n".encode()
    )

    parts = outbox.split_messages(raw)

    assert len(parts) == 2
    first = outbox.parse_message(parts[0], filename="x.log", index=0)
    assert first.subject == "Rules" and "below" in first.html


def test_names_outside_the_outbox_are_refused(outbox_dir):
    _write(outbox_dir, _email("Only one", "body"))
    name = os.listdir(outbox_dir)[0]
    (outbox_dir.parent / "secret.log").write_text("Subject: secret\n\nsecret\n")

    assert Client().get(f"/dev/outbox/{name}/0/").status_code == 200
    assert Client().get(f"/dev/outbox/{name}/1/").status_code == 404
    assert Client().get("/dev/outbox/..%2Fsecret.log/0/").status_code == 404
    assert outbox.read_message(outbox_dir, filename="../secret.log", index=0) is None
    assert outbox.read_message(outbox_dir, filename="missing.log", index=0) is None


def test_an_empty_outbox_says_so(outbox_dir):
    html = Client().get("/dev/outbox/").content.decode()

    assert "No emails yet" in html


def test_a_mailer_that_writes_no_files_is_explained(outbox_dir, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

    html = Client().get("/dev/outbox/").content.decode()

    assert "does not write emails to files" in html


def test_the_outbox_is_not_found_when_debug_is_off_even_if_routed(outbox_dir, settings):
    _write(outbox_dir, _email("Private", "Do not show"))
    settings.DEBUG = False

    response = Client().get("/dev/outbox/")

    assert response.status_code == 404
    assert "Do not show" not in response.content.decode()


def test_the_outbox_is_not_found_when_the_app_is_not_installed(outbox_dir, monkeypatch):
    monkeypatch.setattr(views, "installed", lambda: False)

    assert Client().get("/dev/outbox/").status_code == 404


def test_production_urls_do_not_route_the_outbox():
    # The test settings run with DEBUG off, as production does.
    try:
        match = resolve("/dev/outbox/")
    except Resolver404:
        return
    assert match.func is not views.outbox and getattr(match.func, "__wrapped__", None) is not views.outbox
    assert Client().get("/dev/outbox/").status_code == 404


def test_the_site_routes_the_outbox_when_debug_is_on(settings):
    settings.DEBUG = True
    try:
        importlib.reload(masthead.urls)
        clear_url_caches()
        assert resolve("/dev/outbox/").url_name == "outbox"
        assert reverse("devtools:outbox") == "/dev/outbox/"
    finally:
        settings.DEBUG = False
        importlib.reload(masthead.urls)
        clear_url_caches()
    with pytest.raises(Exception):  # noqa: B017 - NoReverseMatch once the route is gone again
        reverse("devtools:outbox")


def test_a_sign_in_code_email_reaches_the_outbox_in_the_publications_design(outbox_dir):
    factories.reader(email="reader@example.org")

    Client().post(reverse("account_login"), {"login": "reader@example.org"})
    time.sleep(0.01)
    [message] = outbox.read_outbox(outbox_dir)

    assert message.subject == "The Meridian Review: Your sign-in code"
    assert "[" not in message.subject
    assert message.to == "reader@example.org"
    code = re.search(r"^\s{4}(\S+)$", message.text, re.MULTILINE).group(1)
    for part in (message.text, message.html):
        assert code in part
        assert "few minutes" in part
        assert "ignore this email" in part
        assert "The Meridian Review" in part
    assert message.html.startswith("<!doctype html>") and "<table" not in message.html


def test_a_new_readers_confirmation_email_has_a_text_and_an_html_part(outbox_dir):
    Client().post(reverse("account_signup"), {"email": "new@example.org"})
    [message] = outbox.read_outbox(outbox_dir)

    assert message.subject == "The Meridian Review: Confirm your email address"
    assert message.text and message.html
    for part in (message.text, message.html):
        assert "new@example.org" in part
        assert "ignore this email" in part


def test_someone_without_an_account_asking_for_a_code_is_told_so_politely(outbox_dir):
    Client().post(reverse("account_login"), {"login": "stranger@example.org"})
    [message] = outbox.read_outbox(outbox_dir)

    assert message.subject == "The Meridian Review: About your sign-in"
    assert "we have no account with that address" in message.text
    assert "http://testserver/accounts/signup/" in message.text and "ignore this email" in message.html
