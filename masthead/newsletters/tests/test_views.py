"""One-click unsubscribe, preferences from an email and on the account, links, the archive."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masthead.access.tests import factories as access_factories
from masthead.articles.tests.factories import make_article
from masthead.newsletters import sending, tokens
from masthead.newsletters.enums import IssueStatus
from masthead.newsletters.models import LinkClick, NewsletterChoice, NewsletterConsent
from masthead.newsletters.snapshot import build_snapshot
from masthead.newsletters.workers import WorkerHandle

from . import factories

pytestmark = pytest.mark.django_db


def _subscribed(user, slug="daily") -> bool:
    return NewsletterChoice.objects.filter(reader=user, newsletter__slug=slug, active=True).exists()


def _unsubscribe_url(user, slug="daily"):
    token = tokens.unsubscribe_token(user.pk, factories.newsletter(slug).pk)
    return reverse("newsletters:unsubscribe", kwargs={"token": token})


def test_one_click_get_changes_nothing_and_shows_a_button(client):
    reader = factories.free_reader()
    response = client.get(_unsubscribe_url(reader))
    assert response.status_code == 200
    assert b'<form method="post"' in response.content and b"Unsubscribe" in response.content
    assert _subscribed(reader)
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_one_click_cookieless_post_unsubscribes():
    reader = factories.free_reader("daily", "weekly")
    cookieless = Client(enforce_csrf_checks=True)
    response = cookieless.post(
        _unsubscribe_url(reader), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not _subscribed(reader)
    assert _subscribed(reader, "weekly")  # only the newsletter the email was from
    assert not response.cookies.get("sessionid")


def test_one_click_post_for_a_reader_who_never_had_the_row_records_the_choice():
    reader = access_factories.reader()
    Client(enforce_csrf_checks=True).post(_unsubscribe_url(reader))
    assert NewsletterChoice.objects.get(reader=reader).active is False


@pytest.mark.parametrize(
    "token",
    ["nonsense", "1.1:forged-signature", "", "x" * 500, "abc:def:ghi", "%00", "1.1"],
)
def test_bad_unsubscribe_token_is_a_400_with_a_message_never_500(client, token):
    factories.free_reader()
    for method in (client.get, client.post):
        url = f"/newsletters/unsubscribe/{token or 'x'}/"
        response = method(url)
        assert response.status_code == 400
        assert b"This unsubscribe link is not valid" in response.content


def test_token_for_another_purpose_is_refused(client):
    reader = factories.free_reader()
    link = tokens.link_token(reader.pk, factories.newsletter().pk)  # same shape, other salt
    assert client.post(f"/newsletters/unsubscribe/{link}/").status_code == 400
    assert _subscribed(reader)


def test_public_preferences_from_an_email_without_sign_in(client):
    reader = factories.free_reader("daily")
    url = reverse("newsletters:public_preferences", kwargs={"token": tokens.preferences_token(reader.pk)})
    page = client.get(url)
    assert page.status_code == 200
    assert reader.email not in page.content.decode()  # only a hint of the address
    weekly = factories.newsletter("weekly")
    response = client.post(url, {"newsletters": [weekly.pk]})
    assert response.status_code == 200
    assert not _subscribed(reader) and _subscribed(reader, "weekly")
    client.post(url, {"action": "unsubscribe_all"})
    assert not NewsletterChoice.objects.filter(reader=reader, active=True).exists()


def test_public_preferences_bad_or_expired_token(client, settings):
    reader = factories.free_reader()
    assert client.get("/newsletters/p/garbage/").status_code == 400
    token = tokens.preferences_token(reader.pk)
    settings.NEWSLETTER_PREFERENCES_LINK_DAYS = 30
    assert client.get(f"/newsletters/p/{token}/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert client.get(f"/newsletters/p/{token}/").status_code == 400


def test_invitation_confirms_the_opt_in_with_a_post_only(client, mailoutbox):
    from masthead.newsletters.preferences import invite_unconfirmed

    reader = access_factories.reader()
    unverified = access_factories.reader(verified=False)
    assert invite_unconfirmed() == 1
    assert invite_unconfirmed() == 0  # never twice
    (invitation,) = mailoutbox
    assert invitation.to == [reader.email] and unverified.email not in invitation.to
    url = invitation.body.split("Choose and confirm here:\n")[1].split()[0]
    path = url.replace("https://news.example", "")
    page = client.get(path)
    assert page.status_code == 200 and b"Confirm" in page.content
    assert not NewsletterConsent.objects.filter(reader=reader, confirmed_at__isnull=False).exists()
    defaults = [n.pk for n in factories.Newsletter.objects.filter(default_for_new_readers=True)]
    client.post(path, {"newsletters": defaults})
    assert NewsletterConsent.objects.get(reader=reader).confirmed_at is not None
    assert _subscribed(reader, "daily") and _subscribed(reader, "weekly")


def test_signed_in_preferences_page(client):
    reader = access_factories.reader()
    client.force_login(reader)
    page = client.get("/newsletters/preferences/")
    assert page.status_code == 200
    assert b"The Daily Review" in page.content and b"checked" in page.content  # defaults ticked
    assert b"The Meridian Briefing" in page.content  # free newsletter offered to a free reader
    client.post("/newsletters/preferences/", {"newsletters": [factories.newsletter("daily").pk]})
    assert _subscribed(reader)
    consent = NewsletterConsent.objects.get(reader=reader)
    assert consent.confirmed_at and consent.method == "account"


def test_signed_in_preferences_needs_sign_in(client):
    response = client.get("/newsletters/preferences/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_subscriber_is_not_offered_the_free_readers_newsletter(client):
    reader = access_factories.subscriber()
    client.force_login(reader)
    page = client.get("/newsletters/preferences/")
    assert b"The Meridian Briefing" not in page.content


def test_embeddable_account_panel_renders(rf):
    from django.template.loader import render_to_string

    from masthead.newsletters.account import account_panel_context

    reader = access_factories.reader()
    request = rf.get("/account/")
    request.user = reader
    html = render_to_string("newsletters/includes/account_panel.html", account_panel_context(reader), request=request)
    assert 'action="/newsletters/preferences/"' in html and "The Daily Review" in html


def _sent_issue(articles, **kwargs):
    issue = factories.make_issue(articles, **kwargs)
    sending.schedule(issue, at=timezone.now(), queue=False)
    with WorkerHandle() as worker:
        sending.run_send(issue.pk, worker=worker)
    issue.refresh_from_db()
    return issue


def test_link_counts_the_click_and_redirects_to_the_article(client):
    reader = factories.free_reader()
    article = make_article()
    issue = _sent_issue([article])
    token = tokens.link_token(reader.pk, issue.pk)
    response = client.get(f"/newsletters/r/{token}/{article.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"https://news.example{article.url}"
    assert LinkClick.objects.get(issue=issue, article_id=article.pk).count == 1
    tampered = client.get(f"/newsletters/r/{token}x/{article.pk}/")
    assert tampered.status_code == 302 and tampered["Location"] == article.url  # still goes there, not counted
    assert LinkClick.objects.get(issue=issue, article_id=article.pk).count == 1


def test_archive_applies_access_per_reader_and_never_shows_gated_text(client):
    marker = access_factories.marker()
    gated = access_factories.gated_article(marker)
    free_article = make_article(free_for_everyone=True)
    factories.free_reader()
    issue = _sent_issue([gated, free_article])
    assert issue.status == IssueStatus.SENT
    url = issue.get_absolute_url()
    anonymous = client.get(url)
    assert anonymous.status_code == 200
    assert marker.encode() not in anonymous.content
    assert b"For subscribers" in anonymous.content and b"Free to read" in anonymous.content
    assert "private" in anonymous["Cache-Control"]
    client.force_login(access_factories.subscriber())
    subscriber = client.get(url)
    assert b"Read the analysis" in subscriber.content and b"For subscribers" not in subscriber.content
    assert marker.encode() not in subscriber.content
    assert client.get("/newsletters/archive/").status_code == 200
    assert client.get("/newsletters/archive/daily/").status_code == 200


def test_archive_hides_drafts_and_bad_dates(client):
    issue = factories.make_issue([make_article()])
    assert client.get(issue.get_absolute_url()).status_code == 404
    assert client.get("/newsletters/archive/daily/not-a-date/").status_code == 404


def test_introduction_is_sanitised(client):
    issue = factories.make_issue(
        [make_article()],
        introduction='<p>Hello <script>alert(1)</script><a href="javascript:alert(1)">x</a> <b>bold</b></p>',
    )
    snapshot = build_snapshot(issue)
    assert "<script" not in snapshot["introduction_html"] and "javascript:" not in snapshot["introduction_html"]
    assert "<b>bold</b>" in snapshot["introduction_html"]
