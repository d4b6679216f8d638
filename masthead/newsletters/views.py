"""Reader-facing newsletter pages: one-click unsubscribe, preferences from an email, links, the archive."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from masthead.access.decisions import ArticleFacts, decide_access
from masthead.access.readers import reader_for_request

from .enums import ConsentMethod, IssueStatus
from .forms import NewsletterChoicesForm
from .models import Issue, LinkClick, Newsletter
from .preferences import available_newsletters, current_choices, save_choices, unsubscribe, unsubscribe_all
from .rendering import OFFER_TEXT
from .snapshot import all_article_ids
from .tokens import read_link_token, read_preferences_token, read_unsubscribe_token

ARCHIVE_PAGE_SIZE = 20


def _invalid_link(request: HttpRequest, message: str) -> HttpResponse:
    response = TemplateResponse(request, "newsletters/web/link_invalid.html", {"message": message}, status=400)
    patch_cache_control(response, no_store=True)
    return response


@csrf_exempt  # RFC 8058: mail providers POST without cookies; the signed token is the authority
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button and changes nothing (link scanners fetch); POST unsubscribes, with or without cookies."""
    claim = read_unsubscribe_token(token)
    newsletter = Newsletter.objects.filter(pk=claim.newsletter_id).first() if claim else None
    reader = get_user_model().objects.filter(pk=claim.reader_id).first() if claim else None
    if newsletter is None or reader is None:
        return _invalid_link(
            request, "This unsubscribe link is not valid. Use the link in your latest email, or sign in to choose."
        )
    context = {"newsletter": newsletter, "token": token}
    if request.method == "POST":
        unsubscribe(reader_id=reader.pk, newsletter_id=newsletter.pk)
        return TemplateResponse(request, "newsletters/web/unsubscribed.html", context)
    return TemplateResponse(request, "newsletters/web/unsubscribe_confirm.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def public_preferences(request: HttpRequest, token: str) -> HttpResponse:
    """Reached from every email: choose newsletters without signing in. POST (with CSRF) saves."""
    reader_id = read_preferences_token(token)
    user = get_user_model().objects.filter(pk=reader_id, is_active=True).first() if reader_id else None
    if user is None:
        return _invalid_link(
            request, "This link has expired or is not valid. Use the link in a recent email, or sign in to choose."
        )
    available = available_newsletters(user)
    saved = unsubscribed_all = False
    if request.method == "POST":
        if request.POST.get("action") == "unsubscribe_all":
            unsubscribe_all(reader_id=user.pk)
            unsubscribed_all = True
            form = NewsletterChoicesForm(available=available, initial={"newsletters": []})
        else:
            form = NewsletterChoicesForm(request.POST, available=available)
            if form.is_valid():
                save_choices(user, chosen_ids=form.chosen_ids(), available=available, method=ConsentMethod.EMAIL_LINK)
                saved = True
    else:
        form = NewsletterChoicesForm(available=available, initial={"newsletters": current_choices(user, available)})
    context = {
        "form": form,
        "token": token,
        "invite": request.GET.get("invite") == "1",
        "saved": saved,
        "unsubscribed_all": unsubscribed_all,
        "address_hint": _mask(user.email),
    }
    return TemplateResponse(request, "newsletters/web/public_preferences.html", context)


def _mask(address: str) -> str:
    """Enough of the address to recognise it, not enough to harvest it: j•••@example.org."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


@require_GET
def link(request: HttpRequest, token: str, article_id: int) -> HttpResponse:
    """An article link from an issue: count the click (per issue, article and day; not who), then go there."""
    claim = read_link_token(token)
    issue = Issue.objects.filter(pk=claim.issue_id).only("snapshot").first() if claim else None
    target = _article_url(issue.snapshot if issue else None, article_id)
    if issue is None or target is None:
        from masthead.articles.models import ArticlePage

        article = ArticlePage.objects.live().public().filter(pk=article_id).first()
        if article is None:
            raise Http404("No such article.")
        return HttpResponseRedirect(article.url)
    _count_click(issue, article_id)
    return HttpResponseRedirect(target)


def _count_click(issue: Issue, article_id: int) -> None:
    today = timezone.localdate()
    counted = LinkClick.objects.filter(issue=issue, article_id=article_id, day=today).update(count=F("count") + 1)
    if not counted:
        try:
            with transaction.atomic():
                LinkClick.objects.create(issue=issue, article_id=article_id, day=today, count=1)
        except IntegrityError:  # the same link, clicked at the same moment by someone else
            LinkClick.objects.filter(issue=issue, article_id=article_id, day=today).update(count=F("count") + 1)


def _article_url(snapshot: dict | None, article_id: int) -> str | None:
    if not snapshot:
        return None
    for section in snapshot.get("sections", []):
        for item in section["items"]:
            if item.get("article_id") == article_id and item.get("url"):
                return item["url"]
    return None


# --- The archive ------------------------------------------------------------------------------------

PUBLIC_STATUSES = (IssueStatus.SENDING, IssueStatus.SENT)


@require_GET
def archive_index(request: HttpRequest) -> HttpResponse:
    newsletters = list(Newsletter.objects.filter(is_active=True))
    rows = [
        {
            "newsletter": newsletter,
            "issues": list(
                Issue.objects.filter(newsletter=newsletter, status__in=PUBLIC_STATUSES).order_by("-issue_date")[:5]
            ),
        }
        for newsletter in newsletters
    ]
    return TemplateResponse(request, "newsletters/web/archive_index.html", {"rows": rows})


@require_GET
def archive_newsletter(request: HttpRequest, slug: str) -> HttpResponse:
    newsletter = get_object_or_404(Newsletter, slug=slug)
    issues = Issue.objects.filter(newsletter=newsletter, status__in=PUBLIC_STATUSES).order_by("-issue_date")
    page = Paginator(issues, ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request, "newsletters/web/archive_newsletter.html", {"newsletter": newsletter, "page": page}
    )


@require_GET
def archive_issue(request: HttpRequest, slug: str, issue_date: str) -> HttpResponse:
    """A past issue as sent, with each article shown as this reader's decision allows — as on article pages."""
    try:
        day = dt.date.fromisoformat(issue_date)
    except ValueError:
        raise Http404("No such issue.") from None
    issue = get_object_or_404(
        Issue.objects.select_related("newsletter"), newsletter__slug=slug, issue_date=day, status__in=PUBLIC_STATUSES
    )
    snapshot = issue.snapshot or {"sections": []}
    now = timezone.now()
    reader = reader_for_request(request, article_ids=all_article_ids(snapshot), now=now)
    sections = []
    for section in snapshot["sections"]:
        items = []
        for item in section["items"]:
            full, offer = True, ""
            if item.get("article_id") and item.get("gated"):
                decision = decide_access(reader=reader, article=ArticleFacts(id=item["article_id"]), now=now)
                full, offer = decision.full, ("" if decision.full else str(decision.offer))
            items.append({**item, "full": full, "offer": offer, "offer_text": OFFER_TEXT.get(offer, "")})
        sections.append({**section, "items": items})
    context = {"issue": issue, "snapshot": snapshot, "sections": sections, "newsletter": issue.newsletter}
    response = TemplateResponse(request, "newsletters/web/archive_issue.html", context)
    patch_vary_headers(response, ["Cookie"])
    patch_cache_control(response, private=True, no_cache=True, max_age=0)
    return response
