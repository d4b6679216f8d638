"""Signed tokens in newsletter links. They carry the reader's id, never the address.

Each purpose has its own salt, so a token for one cannot be replayed as another:
- unsubscribe: reader and newsletter, never expires (an old email must still unsubscribe);
- preferences: reader, valid for NEWSLETTER_PREFERENCES_LINK_DAYS;
- link: reader and issue, on every article link, so a click is known to come from that issue.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

UNSUBSCRIBE_SALT = "masthead.newsletters.unsubscribe"
PREFERENCES_SALT = "masthead.newsletters.preferences"
LINK_SALT = "masthead.newsletters.link"
MAX_TOKEN_LENGTH = 200


def _signer(kind: type[signing.Signer], salt: str, key: str) -> signing.Signer:
    timestamped = issubclass(kind, signing.TimestampSigner)
    return _cached_signer(timestamped, salt, key, tuple(settings.SECRET_KEY_FALLBACKS))


@functools.lru_cache(maxsize=16)
def _cached_signer(timestamped: bool, salt: str, key: str, fallbacks: tuple[str, ...]) -> signing.Signer:
    kind = signing.TimestampSigner if timestamped else signing.Signer
    return kind(key=key, salt=salt, fallback_keys=list(fallbacks))


def _unsubscribe_signer() -> signing.Signer:
    return _signer(signing.Signer, UNSUBSCRIBE_SALT, settings.SECRET_KEY)


def _link_signer() -> signing.Signer:
    return _signer(signing.Signer, LINK_SALT, settings.SECRET_KEY)


def _preferences_signer() -> signing.TimestampSigner:
    return _signer(signing.TimestampSigner, PREFERENCES_SALT, settings.SECRET_KEY)  # type: ignore[return-value]


@dataclass(frozen=True)
class UnsubscribeClaim:
    reader_id: int
    newsletter_id: int


@dataclass(frozen=True)
class LinkClaim:
    reader_id: int
    issue_id: int


def unsubscribe_token(reader_id: int, newsletter_id: int) -> str:
    return _unsubscribe_signer().sign(f"{reader_id}.{newsletter_id}")


def read_unsubscribe_token(token: str) -> UnsubscribeClaim | None:
    values = _unsign(_unsubscribe_signer(), token, parts=2)
    return UnsubscribeClaim(*values) if values else None


def preferences_token(reader_id: int) -> str:
    return _preferences_signer().sign(str(reader_id))


def read_preferences_token(token: str) -> int | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = _preferences_signer().unsign(token, max_age=settings.NEWSLETTER_PREFERENCES_LINK_DAYS * 86400)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    return int(value) if value.isdigit() else None


def link_token(reader_id: int, issue_id: int) -> str:
    return _link_signer().sign(f"{reader_id}.{issue_id}")


def read_link_token(token: str) -> LinkClaim | None:
    values = _unsign(_link_signer(), token, parts=2)
    return LinkClaim(*values) if values else None


def _unsign(signer: signing.Signer, token: str, *, parts: int) -> tuple[int, ...] | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = signer.unsign(token)
    except signing.BadSignature:
        return None
    pieces = value.split(".")
    if len(pieces) != parts or not all(piece.isdigit() for piece in pieces):
        return None
    return tuple(int(piece) for piece in pieces)
