"""Editors: edit an issue, preview it as a free reader and as a subscriber, test it, send it, follow it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from masthead.access.tests import factories as access_factories
from masthead.articles.tests.factories import make_article
from masthead.newsletters.enums import DeliveryState, IssueStatus
from masthead.newsletters.models import Delivery, Issue

from . import factories

pytestmark = pytest.mark.django_db


def _send_url(issue):
    return reverse("wagtailsnippets_newsletters_issue:send", args=[issue.pk])


def test_issue_listing_and_edit_pages_load(admin_client):
    issue = factories.make_issue([make_article()])
    assert admin_client.get(reverse("wagtailsnippets_newsletters_issue:list")).status_code == 200
    page = admin_client.get(reverse("wagtailsnippets_newsletters_issue:edit", args=[issue.pk]))
    assert page.status_code == 200
    assert b"Send and progress" in page.content
    assert admin_client.get(reverse("wagtailsnippets_newsletters_issue:add")).status_code == 200
    found = admin_client.get(reverse("wagtailsnippets_newsletters_issue:list"), {"q": "Today"})
    assert found.status_code == 200 and str(issue) in found.content.decode()


def test_preview_as_a_free_reader_and_as_a_subscriber(admin_client):
    marker = access_factories.marker()
    issue = factories.make_issue(
        sections={"top_stories": [factories.item(access_factories.gated_article(marker), "Summary.")]}
    )
    free = issue.serve_preview(None, "free").content.decode()
    subscriber = issue.serve_preview(None, "subscriber").content.decode()
    assert "For subscribers" in free and 'data-slot="house-ad"' in free
    assert "Read the analysis" in subscriber and 'data-slot="house-ad"' not in subscriber
    assert marker not in free and marker not in subscriber
    assert [mode for mode, _ in issue.preview_modes] == ["free", "subscriber"]


def test_send_a_test_to_yourself(admin_client, admin_user, mailoutbox):
    issue = factories.make_issue([make_article()])
    response = admin_client.post(_send_url(issue), {"action": "test", "mode": "subscriber"})
    assert response.status_code == 302
    (message,) = mailoutbox
    assert message.to == [admin_user.email] and message.subject.startswith("[Test] ")
    assert not Delivery.objects.exists()
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.DRAFT


def test_schedule_unschedule_and_send_now_with_progress(admin_client, mailoutbox, django_capture_on_commit_callbacks):
    readers = [factories.free_reader() for _ in range(3)]
    issue = factories.make_issue([make_article()])
    later = timezone.localtime() + timezone.timedelta(days=1)
    admin_client.post(_send_url(issue), {"action": "schedule", "scheduled_at": later.strftime("%Y-%m-%dT%H:%M")})
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SCHEDULED and issue.scheduled_at > timezone.now()
    admin_client.post(_send_url(issue), {"action": "unschedule"})
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.DRAFT

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_send_url(issue), {"action": "send_now"})  # the immediate task backend sends at once
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.email for r in readers)
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SENT
    page = admin_client.get(_send_url(issue)).content.decode()
    assert "Progress: 3 of 3 (100%)" in page
    assert 'data-state="sent">3<' in page


def test_sent_issue_can_no_longer_be_edited(admin_client):
    issue = factories.make_issue([make_article()], status=IssueStatus.SENT)
    response = admin_client.post(
        reverse("wagtailsnippets_newsletters_issue:edit", args=[issue.pk]), {"subject": "Changed"}
    )
    assert response.status_code == 302 and response["Location"] == _send_url(issue)
    assert Issue.objects.get(pk=issue.pk).subject != "Changed"


def test_flagged_deliveries_are_shown_and_resent_only_when_the_editor_confirms(
    admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    reader = factories.free_reader()
    issue = factories.make_issue([make_article()])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_send_url(issue), {"action": "send_now"})
    delivery = Delivery.objects.get(issue=issue)
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.UNKNOWN, error="The worker stopped")
    mailoutbox.clear()

    page = admin_client.get(_send_url(issue)).content.decode()
    assert "Flagged: outcome unknown (1)" in page and reader.email in page

    admin_client.post(_send_url(issue), {"action": "resend", "delivery": [delivery.pk]})  # not confirmed
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.UNKNOWN and not mailoutbox

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_send_url(issue), {"action": "resend", "delivery": [delivery.pk], "confirm": "yes"})
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.SENT
    assert [m.to for m in mailoutbox] == [[reader.email]]


def test_send_page_needs_permission(client):
    issue = factories.make_issue([make_article()])
    client.force_login(access_factories.reader())
    assert client.get(_send_url(issue)).status_code in (302, 403)


def test_newsletters_and_suppressions_are_in_the_admin(admin_client):
    assert admin_client.get(reverse("wagtailsnippets_newsletters_newsletter:list")).status_code == 200
    assert admin_client.get(reverse("wagtailsnippets_newsletters_suppression:list")).status_code == 200


def test_live_preview_of_unsaved_changes_as_each_reader(admin_client):
    from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

    article = make_article(title="An article chosen in the form")
    issue = factories.make_issue([make_article()])
    data = nested_form_data(
        {
            "newsletter": issue.newsletter_id,
            "issue_date": issue.issue_date.isoformat(),
            "subject": "Unsaved subject",
            "preheader": "",
            "introduction": rich_text("<p>An unsaved take.</p>"),
            "sections": streamfield([("top_stories", {"count": 1})]),
        }
    )
    item = "sections-0-value-0"  # the first item of the section's list
    data |= {f"{item}-value-article": article.pk, f"{item}-value-headline": "", f"{item}-value-summary": "Fresh."}
    data |= {f"{item}-deleted": "", f"{item}-order": "0", f"{item}-id": ""}
    url = reverse("wagtailsnippets_newsletters_issue:preview_on_edit", args=[issue.pk])
    assert admin_client.post(url, data).json()["is_valid"] is True
    free = admin_client.get(url, {"mode": "free"}).content.decode()
    subscriber = admin_client.get(url, {"mode": "subscriber"}).content.decode()
    assert "An article chosen in the form" in free and "An unsaved take." in free
    assert "For subscribers" in free and "Read the analysis" in subscriber
    assert Issue.objects.get(pk=issue.pk).subject != "Unsaved subject"
