"""Make sure the demo has an editor account, and say how to sign in."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the demo editor account if missing and print its credentials (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--email", default="editor@meridian.example")

    def handle(self, *args, email: str, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_editor is for development only; use createsuperuser in production.")
        credentials_file = settings.VAR_DIR / "editor-credentials.txt"
        User = get_user_model()
        user = User.objects.filter(email__iexact=email).first()
        if user is None or not credentials_file.exists():
            password = secrets.token_urlsafe(12)
            if user is None:
                user = User.objects.create_superuser(email=email, password=password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            credentials_file.write_text(f"{email}\n{password}\n")
            credentials_file.chmod(0o600)
        email_saved, password = credentials_file.read_text().split()[:2]
        admin_url = f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/"
        self.stdout.write(f"Editor sign-in: {admin_url}  email: {email_saved}  password: {password}")
