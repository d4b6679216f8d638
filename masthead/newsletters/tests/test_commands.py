"""The commands operators and `make run` use, and the task that sends under db_worker."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from masthead.articles.tests.factories import make_article
from masthead.newsletters import tasks
from masthead.newsletters.enums import DeliveryState, IssueStatus
from masthead.newsletters.models import Delivery, Issue, SendWorker

from . import factories

pytestmark = pytest.mark.django_db


def test_newsletter_send_drafts_now_and_sends(mailoutbox):
    make_article()
    readers = [factories.free_reader(), factories.subscriber()]
    out = io.StringIO()
    call_command("newsletter_send", "--newsletter", "daily", "--draft-now", stdout=out)
    summary = json.loads(out.getvalue().splitlines()[0])
    assert summary["sent"] == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.email for r in readers)
    assert Issue.objects.get().status == IssueStatus.SENT


def test_newsletter_draft_command():
    make_article()
    out = io.StringIO()
    call_command("newsletter_draft", "--newsletter", "weekly", stdout=out)
    assert "The Weekly Review" in out.getvalue() and Issue.objects.filter(newsletter__slug="weekly").exists()


def test_send_issue_task_finishes_a_send_whose_worker_died(mailoutbox):
    readers = [factories.free_reader() for _ in range(4)]
    issue = factories.make_issue([make_article()])
    from masthead.newsletters import sending

    sending.schedule(issue, at=timezone.now(), queue=False)
    sending.start_send(issue.pk)
    SendWorker.objects.create(
        id="gone", hostname="elsewhere", pid=4242, heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    sending.claim_batch(issue, worker_id="gone", size=2, now=timezone.now())

    result = tasks.send_issue.enqueue(issue.pk)  # what the watchdog run does under db_worker

    assert result.return_value["sent"] == 3 and result.return_value["unknown"] == 0
    assert Delivery.objects.filter(issue=issue, state=DeliveryState.UNKNOWN).count() == 1
    assert len(mailoutbox) == 3 and len(readers) == 4
    assert Issue.objects.get(pk=issue.pk).status == IssueStatus.SENT


def test_send_issue_task_leaves_a_rescheduled_issue_alone(mailoutbox):
    factories.free_reader()
    issue = factories.make_issue([make_article()])
    Issue.objects.filter(pk=issue.pk).update(
        status=IssueStatus.SCHEDULED, scheduled_at=timezone.now() + dt.timedelta(hours=2)
    )
    assert tasks.send_issue.enqueue(issue.pk).return_value["status"] == "not due"
    assert not mailoutbox


def test_worker_command_sends_due_issues_until_idle(mailoutbox):
    factories.free_reader()
    issue = factories.make_issue([make_article()])
    Issue.objects.filter(pk=issue.pk).update(status=IssueStatus.SCHEDULED, scheduled_at=timezone.now())
    out = io.StringIO()
    call_command("newsletter_worker", "--until-idle", "--json", stdout=out)
    totals = json.loads(out.getvalue())
    assert totals["sent"] == 1 and len(mailoutbox) == 1
    assert not SendWorker.objects.exists()


def test_deploy_checks_warn_about_http_links_and_unauthenticated_webhooks(settings):
    from masthead.newsletters.checks import newsletter_settings

    settings.NEWSLETTER_BASE_URL = "http://news.example"
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    assert {w.id for w in newsletter_settings(None)} == {"newsletters.W001", "newsletters.W002"}
    settings.NEWSLETTER_BASE_URL = "https://news.example"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "a:b"}
    assert newsletter_settings(None) == []
