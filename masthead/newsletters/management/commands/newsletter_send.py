"""Send an issue now: `manage.py newsletter_send --newsletter daily --draft-now` (what `make run` demonstrates).

Drafts today's issue if there is none, schedules it for now and sends it in
this process (or, with --enqueue, leaves it to the task worker). With the
development settings the emails land in var/outbox (see /dev/outbox/).
"""

import datetime as dt
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from masthead.newsletters import sending
from masthead.newsletters.digests.drafting import draft_issue
from masthead.newsletters.enums import IssueStatus
from masthead.newsletters.models import Issue, Newsletter
from masthead.newsletters.workers import WorkerHandle


class Command(BaseCommand):
    help = "Send a newsletter issue now (drafting today's issue first with --draft-now)."

    def add_arguments(self, parser):
        parser.add_argument("--newsletter", help="Slug: daily, weekly, briefing.")
        parser.add_argument("--issue", type=int, help="Send this issue (by id) instead.")
        parser.add_argument("--draft-now", action="store_true", help="Draft today's issue if it does not exist.")
        parser.add_argument("--date", help="The issue's date with --draft-now (default today), YYYY-MM-DD.")
        parser.add_argument("--enqueue", action="store_true", help="Leave the sending to the task worker (db_worker).")
        parser.add_argument(
            "--demo-readers", type=int, default=0, help="Development only: first create N readers who opted in."
        )

    def handle(
        self, *args, newsletter=None, issue=None, draft_now=False, date=None, enqueue=False, demo_readers=0, **options
    ):
        if demo_readers:
            if not settings.DEBUG:
                raise CommandError("--demo-readers is for development only.")
            from masthead.newsletters.bench import create_demo_readers

            created = create_demo_readers(demo_readers)
            self.stdout.write(f"{created} demo readers opted in (half of them with complimentary access).")
        target = self._issue(newsletter, issue, draft_now, date)
        if target.status in (IssueStatus.DRAFT, IssueStatus.SCHEDULED):
            try:
                sending.schedule(target, at=timezone.now(), queue=enqueue)
            except sending.NotSendable as error:
                raise CommandError(str(error)) from None
        elif target.status == IssueStatus.SENT:
            raise CommandError(f"{target} was sent already.")
        if enqueue:
            self.stdout.write(f"{target} is queued: the task worker (manage.py db_worker) sends it.")
            return
        with WorkerHandle() as worker:
            stats = sending.run_send(target.pk, worker=worker)
        summary = {"issue": str(target), **stats.by_state, "seconds": round(stats.seconds, 2)}
        self.stdout.write(json.dumps(summary))
        if settings.DEBUG and "filebased" in settings.MAILERS.get("default", {}).get("BACKEND", ""):
            self.stdout.write(
                f"Emails written to {settings.MAILERS['default']['OPTIONS']['file_path']} (/dev/outbox/)."
            )

    def _issue(self, slug, issue_id, draft_now, date) -> Issue:
        if issue_id:
            found = Issue.objects.filter(pk=issue_id).first()
            if found is None:
                raise CommandError(f"No issue {issue_id}.")
            return found
        newsletter = Newsletter.objects.filter(slug=slug or "").first()
        if newsletter is None:
            raise CommandError("Give --newsletter (daily, weekly, briefing) or --issue.")
        day = dt.date.fromisoformat(date) if date else timezone.localdate()
        if draft_now:
            existing = Issue.objects.filter(newsletter=newsletter, issue_date=day).first()
            empty = existing is not None and not len(existing.sections)  # redraft an empty draft, keep edited ones
            return draft_issue(newsletter, issue_date=day, replace=empty).issue
        found = Issue.objects.filter(newsletter=newsletter, issue_date=day).first()
        if found is None:
            raise CommandError(f"No issue of {newsletter} dated {day}; add --draft-now to draft one.")
        return found
