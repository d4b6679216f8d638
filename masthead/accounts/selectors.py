"""Reads about readers' accounts."""

from allauth.account.models import EmailAddress

from .models import User


def user_email_verified(*, user: User) -> bool:
    """Whether the reader has proved they own their address (allauth keeps the record)."""
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
