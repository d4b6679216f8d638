"""Draft the next issue of a newsletter (or tomorrow's issues of all): editors review and schedule them."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from masthead.newsletters.digests.drafting import draft_issue, draft_upcoming
from masthead.newsletters.models import Newsletter


class Command(BaseCommand):
    help = "Draft newsletter issues from the articles published since the last issue. Run daily (cron)."

    def add_arguments(self, parser):
        parser.add_argument("--newsletter", help="Slug (daily, weekly, ...). Without it: tomorrow's issue of each.")
        parser.add_argument("--date", help="The issue's date, YYYY-MM-DD (default: the newsletter's next issue).")
        parser.add_argument("--replace", action="store_true", help="Redraft an existing draft.")

    def handle(self, *args, newsletter=None, date=None, replace=False, **options):
        if newsletter is None:
            drafts = draft_upcoming()
        else:
            found = Newsletter.objects.filter(slug=newsletter).first()
            if found is None:
                raise CommandError(
                    f"No newsletter {newsletter!r}: {', '.join(Newsletter.objects.values_list('slug', flat=True))}"
                )
            issue_date = dt.date.fromisoformat(date) if date else None
            drafts = [draft_issue(found, issue_date=issue_date, replace=replace)]
        for draft in drafts:
            state = "drafted" if draft.created else "already exists"
            self.stdout.write(
                f"{draft.issue} ({state}, {draft.issue.get_status_display().lower()}): {draft.issue.subject}"
            )
        if not drafts:
            self.stdout.write("No newsletter has an issue tomorrow.")
