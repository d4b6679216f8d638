"""Django's CSRF token for a form, made without Django's slow random strings.

`django.middleware.csrf.get_token` draws its 32-character mask one character
at a time from `SystemRandom` (about 30 µs, and as much again for a new
secret): a tenth of a kept page's whole cost. This module does what it does —
same secret handling, same request flags, same masking, so Django's
`CsrfViewMiddleware` checks the token as its own — with the mask drawn from
one `os.urandom` read. Drawing is uniform: bytes of 248 and above (4 x 62) are
thrown away rather than folded onto the first characters.
"""

from __future__ import annotations

import operator
import os

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH

_CHARS = CSRF_ALLOWED_CHARS
_N = len(_CHARS)
_LIMIT = 256 - 256 % _N  # 248: below it every character is drawn 4 times out of 248
# One C-level pass turns random bytes into characters: byte b -> _CHARS[b % 62], bytes >= 248 dropped.
_TO_CHAR = bytes(ord(_CHARS[b % _N]) for b in range(256))
_DROPPED = bytes(range(_LIMIT, 256))
# Django's masking adds the positions of a secret's and a mask's characters: character -> position, and
# (sum of two positions) -> the cipher's character, as translation tables.
_POSITION = bytes.maketrans(_CHARS.encode(), bytes(range(_N)))
_SUM_TO_CHAR = bytes(ord(_CHARS[i % _N]) for i in range(256))


def random_string(length: int = CSRF_SECRET_LENGTH) -> str:
    """`length` characters of CSRF_ALLOWED_CHARS, each drawn uniformly from the operating system's random source."""
    drawn = b""
    while len(drawn) < length:
        drawn += os.urandom(length + 8).translate(_TO_CHAR, _DROPPED)
    return drawn[:length].decode()


def mask(secret: str) -> str:
    """A masked token of `secret` (Django's `_mask_cipher_secret`, with a fast mask)."""
    token_mask = random_string(CSRF_SECRET_LENGTH)
    positions = map(operator.add, secret.encode().translate(_POSITION), token_mask.encode().translate(_POSITION))
    return token_mask + bytes(positions).translate(_SUM_TO_CHAR).decode()


def get_token(request: HttpRequest) -> str:
    """What `django.middleware.csrf.get_token` returns and flags on the request, made faster."""
    meta = request.META
    secret = meta.get("CSRF_COOKIE")
    if secret is None:
        secret = random_string(CSRF_SECRET_LENGTH)
        meta["CSRF_COOKIE"] = secret
    # As Django does: the cookie is (re)sent with the response, which renews its expiry.
    meta["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return mask(secret)
