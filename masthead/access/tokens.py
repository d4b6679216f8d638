"""Signed tokens carried in gift links."""

from __future__ import annotations

import uuid

from django.core import signing

GIFT_SALT = "masthead.access.gift-link"


def gift_token(gift_id: uuid.UUID) -> str:
    return signing.Signer(salt=GIFT_SALT).sign(gift_id.hex)


def gift_id_from_token(token: str) -> uuid.UUID | None:
    """The gift's id, or None for a token that was tampered with or is not ours."""
    if not token or len(token) > 200:
        return None
    try:
        return uuid.UUID(hex=signing.Signer(salt=GIFT_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
