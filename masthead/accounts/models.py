"""Everyone who signs in: readers and staff alike, identified by email address alone."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

from masthead.core.memo import Memo

# (password hash, secret key) -> Django's session hash of it: an HMAC a signed-in reader's every request checks.
_session_hashes = Memo(10_000)


class EmailUserManager(UserManager):
    def _create_user_object(self, username, email, password, **extra_fields):  # type: ignore[override]
        email = self.normalize_email(email or username)
        user = self.model(email=email, **extra_fields)
        user.password = ""
        if password is not None:
            user.set_password(password)
        else:
            user.set_unusable_password()
        return user

    def _create_user(self, username, email, password, **extra_fields):  # type: ignore[override]
        user = self._create_user_object(username, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(None, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(None, email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A reader or a member of staff. The email address is the only identifier; passwords are optional."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", max_length=254, unique=True)
    # Raised whenever what this reader may read changes (an unlock, a grant, a confirmed address):
    # cached readers (masthead.access.readers) are keyed on it. Only `bump_access_version` writes it.
    access_version = models.PositiveBigIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def get_session_auth_hash(self) -> str:
        """Django's hash, computed once per password hash and secret key rather than on every request."""
        key = (self.password, settings.SECRET_KEY)
        found = _session_hashes.get(key)
        if found is None:
            found = super().get_session_auth_hash()
            _session_hashes.set(key, found)
        return found

    def save(self, *args, **kwargs):
        # A copy of this row loaded before a bump must not write the old version back.
        if (
            not self._state.adding
            and self.pk is not None
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "access_version"
            ]
        super().save(*args, **kwargs)


class CodeClaim(models.Model):
    """A one-time code submission, claimed once: see `code_guard`. Rows older than an hour are deleted."""

    key = models.CharField(max_length=64, unique=True)
    claimed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key[:12]
