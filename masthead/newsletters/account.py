"""Newsletters on the reader's account: a page at /newsletters/preferences/ and pieces to embed.

The account page (masthead.accounts) may link to `newsletters:preferences`, or
embed `newsletters/includes/account_panel.html` with the context
`account_panel_context(user)` gives; its form posts to the same view.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from masthead.accounts.models import User
from masthead.accounts.selectors import user_email_verified

from .enums import ConsentMethod
from .forms import NewsletterChoicesForm
from .preferences import available_newsletters, current_choices, has_confirmed, save_choices

__all__ = ["NewsletterChoicesForm", "account_panel_context", "preferences"]


def account_panel_context(user, *, form: NewsletterChoicesForm | None = None) -> dict:
    available = available_newsletters(user)
    if form is None:
        form = NewsletterChoicesForm(available=available, initial={"newsletters": current_choices(user, available)})
    return {
        "newsletter_form": form,
        "newsletters_available": available,
        "newsletters_verified": user_email_verified(user=user),
        "newsletters_confirmed": has_confirmed(user),
    }


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """The signed-in reader chooses their newsletters. Saving is their opt-in."""
    user = cast(User, request.user)  # login_required
    available = available_newsletters(user)
    if request.method == "POST":
        form = NewsletterChoicesForm(request.POST, available=available)
        if form.is_valid():
            save_choices(user, chosen_ids=form.chosen_ids(), available=available, method=ConsentMethod.ACCOUNT)
            if not user_email_verified(user=user) and form.chosen_ids():
                messages.info(request, "Saved. Confirm your email address and your newsletters will start arriving.")
            else:
                messages.success(request, "Your newsletter choices are saved.")
            next_url = request.POST.get("next", "")
            if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
                return redirect(next_url)  # e.g. back to the account page that embeds the form
            return redirect("newsletters:preferences")
    else:
        form = None
    context = account_panel_context(user, form=form)
    return TemplateResponse(request, "newsletters/web/preferences.html", context)
