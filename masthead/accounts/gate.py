"""The registration gate on a gated article: one email address, and the reader keeps reading."""

from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from masthead.articles.models import ArticlePage

from .forms import GateForm
from .services import reader_gate

SENT_MESSAGE = (
    "Read on: this article is yours. We have sent a code to {email}; "
    "enter it below to confirm your address and choose free articles every month."
)


@require_POST
def gate(request: HttpRequest, article_id: int) -> HttpResponse:
    article = get_object_or_404(ArticlePage.objects.live(), pk=article_id)
    if request.user.is_authenticated:
        return HttpResponseRedirect(article.url)
    form = GateForm(request.POST)
    if not form.is_valid():
        return TemplateResponse(request, "accounts/gate_invalid.html", {"form": form, "article": article}, status=400)
    email = form.cleaned_data["email"].lower()
    if not ratelimit.consume(request, action="gate", key=email):
        return TemplateResponse(request, "accounts/gate_limited.html", {"article": article}, status=429)
    if not form.is_bot():
        reader_gate(request=request, email=email, article_id=article.pk)
    messages.success(request, SENT_MESSAGE.format(email=email), extra_tags="gate-sent")
    return _see_other(article.url)


def _see_other(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response
