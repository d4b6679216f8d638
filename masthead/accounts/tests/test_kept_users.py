"""The signed-in reader's row, kept between requests (masthead.accounts.backends)."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import signals

from masthead.access.tests import factories
from masthead.accounts.backends import ModelBackend

pytestmark = pytest.mark.django_db


def _fields(user) -> dict:
    return {field.attname: getattr(user, field.attname) for field in user._meta.concrete_fields}


def test_each_request_gets_its_own_copy_with_the_rows_values():
    reader = factories.reader()
    backend = ModelBackend()
    first = backend.get_user(reader.pk)  # loaded from the database, then kept
    second, third = backend.get_user(reader.pk), backend.get_user(reader.pk)  # copies of the kept row
    fresh = get_user_model().objects.get(pk=reader.pk)
    assert _fields(second) == _fields(third) == _fields(first) == _fields(fresh)
    assert len({id(first), id(second), id(third)}) == 3
    second.seen_by_one_request = True  # what a request caches on its instance stays with it
    assert not hasattr(backend.get_user(reader.pk), "seen_by_one_request")
    assert not second._state.adding and second._state.db == fresh._state.db


def test_a_saved_change_is_seen_by_the_next_lookup():
    reader = factories.reader()
    backend = ModelBackend()
    backend.get_user(reader.pk)
    reader.is_staff = True
    reader.save()
    assert backend.get_user(reader.pk).is_staff
    reader.is_active = False
    reader.save()
    assert backend.get_user(reader.pk) is None  # Django's ModelBackend refuses inactive users


def test_with_a_receiver_of_the_model_signals_copies_are_made_by_from_db():
    reader = factories.reader()
    backend = ModelBackend()
    backend.get_user(reader.pk)
    seen = []

    def initialised(sender, instance, **kwargs):
        seen.append(instance)

    signals.post_init.connect(initialised, sender=get_user_model())
    try:
        copy = backend.get_user(reader.pk)
    finally:
        signals.post_init.disconnect(initialised, sender=get_user_model())
    assert seen and seen[-1] is copy
