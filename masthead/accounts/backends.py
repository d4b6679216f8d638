"""Authentication backends: Django's and allauth's, with the signed-in reader's row kept between requests.

Every request of a signed-in reader loads their user row (Django's
`get_user`): about 150 µs of a page that otherwise costs a few hundred. The row
is kept in each process's memo, checked on every request against a token in
the shared cache (one small read). Any write to the row — a save, a delete, a
raised access version — replaces the token, at once and again after the
transaction commits, so another process never keeps a copy older than the
database's. The row (and its password hash) never leaves the process: only
the token is shared.
"""

from __future__ import annotations

import functools
import logging
import secrets

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.cache import cache
from django.db import transaction
from django.db.models import signals
from django.db.models.base import ModelState

from masthead.core.memo import Memo

logger = logging.getLogger(__name__)
_users = Memo(10_000)


def _token_key(user_id) -> str:
    return f"masthead.user-token.v1:{user_id}"


def forget_user(user_id) -> None:
    """The row of this user changed: every process loads it again (now, and once the change is committed)."""
    if user_id is None:
        return

    def replace_token() -> None:
        try:
            cache.set(_token_key(user_id), secrets.token_hex(8), None)
        except Exception:  # without the cache no token can be read either, so no copy is used
            logger.warning("Could not replace the kept-user token of %s", user_id)

    replace_token()
    transaction.on_commit(replace_token)


class KeptUserMixin:
    def get_user(self, user_id):
        try:
            key = _token_key(user_id)
            token = cache.get(key)
            if token is None:
                token = secrets.token_hex(8)
                if not cache.add(key, token, None):
                    token = cache.get(key)
        except Exception:  # the cache is down: load the row on every request
            token = None
        if token is not None:
            kept = _users.get(user_id)
            if kept is not None and kept[0] == token:
                user = _copy(*kept[1:])
                return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]
        user = super().get_user(user_id)  # type: ignore[misc]
        if user is not None and token is not None:
            # The row's values alone (nothing a request cached on its instance), which no request ever holds.
            values = {name: value for name, value in user.__dict__.items() if name in _field_names(type(user))}
            _users.set(user_id, (token, type(user), values, user._state.db))
        return user


def _copy(model, values: dict, db: str):
    """A fresh instance with the row's values: nothing one request caches on an instance reaches another.

    Made as `Model.from_db` makes one, without its two signals when no receiver listens to them (the
    user model has none; a receiver added later gets `from_db`).
    """
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        names = [field.attname for field in model._meta.concrete_fields]
        return model.from_db(db, names, [values[name] for name in names])
    copy = model.__new__(model)
    copy.__dict__ = values.copy()
    state = copy._state = ModelState()
    state.adding = False
    state.db = db
    return copy


@functools.cache
def _field_names(model) -> frozenset[str]:
    return frozenset(field.attname for field in model._meta.concrete_fields)


class ModelBackend(KeptUserMixin, DjangoModelBackend):
    pass


class AuthenticationBackend(KeptUserMixin, AllauthBackend):
    pass
