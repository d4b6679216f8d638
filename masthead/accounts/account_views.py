"""The reader's account page, their data as a download, and closing the account."""

from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from wagtail.models import Site

from masthead.access.models import AccessSettings

from . import account_selectors
from .data_export import export_reader_data
from .deletion import delete_account, deletion_summary, may_delete_account
from .models import User

HISTORY_PER_PAGE = 20


def _reader(request: HttpRequest) -> User:
    """The signed-in reader: every view here but `deleted` sits behind login_required."""
    return cast(User, request.user)


@require_GET
@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The reader's address, access, meter, reading history and what they may do with their account."""
    user = _reader(request)
    now = timezone.now()
    access = account_selectors.account_access(user=user, now=now)
    email = account_selectors.email_status(user=user)
    meter = None
    if not access.entitled:
        quota = AccessSettings.for_request(request).monthly_free_articles
        meter = account_selectors.meter_month(user=user, quota=quota, now=now)
    history = Paginator(account_selectors.reading_history(user=user), HISTORY_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "email": email,
        "access": access,
        "meter": meter,
        "history": history,
        "show_gift_links": access.may_give_gifts or account_selectors.has_gift_links(user=user),
        "has_password": user.has_usable_password(),
        "may_delete": may_delete_account(user),
    }
    return TemplateResponse(request, "accounts/account.html", context)


def _export_filename(request: HttpRequest) -> str:
    site = Site.find_for_request(request)
    name = slugify((site.site_name if site else "") or settings.WAGTAIL_SITE_NAME) or "masthead"
    return f"{name}-my-data-{timezone.localdate():%Y-%m-%d}.json"


@require_GET
@never_cache
@login_required
def export(request: HttpRequest) -> HttpResponse:
    """Everything stored about the signed-in reader, as a JSON file to keep."""
    data = export_reader_data(request=request, user=_reader(request), now=timezone.now())
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{_export_filename(request)}"'
    return response


class DeleteAccountForm(forms.Form):
    """The reader types their address to show they mean it."""

    email = forms.CharField(
        label="Type your email address to confirm",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        typed = self.cleaned_data["email"].strip()
        if typed.casefold() != self.user.email.casefold():
            raise forms.ValidationError(
                "That is not the address of this account. Type it exactly as shown above; nothing has been deleted."
            )
        return typed


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def delete(request: HttpRequest) -> HttpResponse:
    """Explain what deleting removes and keeps; delete when the reader confirms with their address."""
    user = _reader(request)
    allowed = may_delete_account(user)
    status = 200
    if request.method == "POST" and allowed:
        form = DeleteAccountForm(request.POST, user=user)
        if form.is_valid():
            delete_account(user=user)
            logout(request)
            return redirect("accounts:deleted")
    else:
        form = DeleteAccountForm(user=user)
        if request.method == "POST":
            status = 403
    context = {
        "form": form,
        "allowed": allowed,
        "summary": deletion_summary(user=user),
    }
    return TemplateResponse(request, "accounts/delete.html", context, status=status)


@require_GET
def deleted(request: HttpRequest) -> HttpResponse:
    """Where a reader lands once their account is gone (signed out)."""
    return TemplateResponse(request, "accounts/deleted.html")
