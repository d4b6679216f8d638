"""Keep cached readers honest: raise a reader's access version whenever what they may read changes.

`masthead.access.readers` caches what it learns about a signed-in reader
under the reader's `access_version`; these receivers raise it on every write
that changes the answer. Changes that touch many readers at once (an
institution's domains, a group's permissions) raise the content version,
which every cached reader is keyed on too.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

from masthead.accounts.backends import forget_user
from masthead.core import content_version


def bump_access_version(user_id: int | None) -> None:
    if user_id is None:
        return
    from masthead.accounts.models import User

    User.objects.filter(pk=user_id).update(access_version=F("access_version") + 1)
    forget_user(user_id)


def _reader_row_changed(sender, instance, **kwargs) -> None:
    bump_access_version(getattr(instance, "reader_id", None) or getattr(instance, "user_id", None))


def _user_m2m_changed(sender, instance, action, pk_set, model, reverse, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    from masthead.accounts.models import User

    if isinstance(instance, User):
        bump_access_version(instance.pk)
    else:  # changed from the group's side: every member named
        for user_id in pk_set or ():
            bump_access_version(user_id)


# Rows that belong to one reader and change what they may read.
READER_MODELS = ["access.MeterUnlock", "access.ComplimentaryAccess", "access.InstitutionSeat", "account.EmailAddress"]


def connect() -> None:
    for label in READER_MODELS:
        model = apps.get_model(label)
        post_save.connect(_reader_row_changed, sender=model, dispatch_uid=f"access_version.save.{label}")
        post_delete.connect(_reader_row_changed, sender=model, dispatch_uid=f"access_version.delete.{label}")
    user = apps.get_model("accounts.User")
    for through in (user.groups.through, user.user_permissions.through):
        m2m_changed.connect(_user_m2m_changed, sender=through, dispatch_uid=f"access_version.m2m.{through.__name__}")
    group = apps.get_model("auth.Group")
    m2m_changed.connect(content_version.bump, sender=group.permissions.through, dispatch_uid="access.group_permissions")
    institution = apps.get_model("access.Institution")
    post_save.connect(content_version.bump, sender=institution, dispatch_uid="access.institution.save")
    post_delete.connect(content_version.bump, sender=institution, dispatch_uid="access.institution.delete")
