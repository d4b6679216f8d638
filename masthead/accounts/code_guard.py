"""One-time codes are one time, even when the same code is submitted twice at once.

allauth keeps a pending code in the session, so two simultaneous submissions
from one browser could both read it before either marks it used. Before
allauth sees a submission, its (session, code) pair is claimed with a row
insert that the database allows once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from .models import CodeClaim

CLAIM_LIFETIME = dt.timedelta(hours=1)


def _claim(request: HttpRequest, code: str) -> bool:
    session_key = request.session.session_key or ""
    normalized = code.strip().upper().replace(" ", "")
    key = hashlib.sha256(f"{session_key}:{normalized}".encode()).hexdigest()
    now = timezone.now()
    CodeClaim.objects.filter(claimed_at__lt=now - CLAIM_LIFETIME).delete()
    try:
        with transaction.atomic():
            CodeClaim.objects.create(key=key, claimed_at=now)
    except IntegrityError:
        return False
    return True


def single_use_code(view):
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs):
        code = request.POST.get("code", "") if request.method == "POST" else ""
        if code and request.POST.get("action", "verify") == "verify" and not _claim(request, code):
            messages.error(request, "That code has already been used. Ask for a new one if you need to.")
            return HttpResponseRedirect(reverse("account_login"))
        return view(request, *args, **kwargs)

    return guarded
