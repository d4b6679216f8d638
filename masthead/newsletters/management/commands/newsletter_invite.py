"""Invite readers with a confirmed address who never chose newsletters to confirm the default ones (once)."""

from django.core.management.base import BaseCommand

from masthead.newsletters.preferences import invite_unconfirmed


class Command(BaseCommand):
    help = "Send the one newsletter opt-in invitation to confirmed readers who never chose."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, limit=1000, **options):
        self.stdout.write(f"{invite_unconfirmed(limit=limit)} invitations sent.")
