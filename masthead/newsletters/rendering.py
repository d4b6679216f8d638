"""Newsletter emails: HTML that survives email clients, a plain-text part, and per-recipient copies.

An issue is rendered once per **variant** — one combination of "no house
ad" (entitled readers), the decision on each gated article and the meter's
remaining count — and the rendered HTML (CSS inlined by css-inline) and text
are kept as templates with three slots for the recipient's signed tokens.
A recipient's copy is the variant's template with their tokens filled in:
no template rendering per recipient. Which variant a reader gets is decided
per reader by `decide_access`, on the `Reader` gathered for them.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import dataclass, field

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from masthead.access.decisions import ArticleFacts, Entitlement, MeterState, Reader, decide_access
from masthead.access.enums import EntitlementKind, Offer

from . import tokens
from .audience import is_entitled
from .snapshot import build_snapshot, gated_article_ids

SLOT_LINK = "NLSLOTLINK"
SLOT_UNSUBSCRIBE = "NLSLOTUNSUB"
SLOT_PREFERENCES = "NLSLOTPREFS"
SLOTS = (SLOT_LINK, SLOT_UNSUBSCRIBE, SLOT_PREFERENCES)
_SLOT_PATTERN = re.compile(f"({'|'.join(SLOTS)})")
MAX_HTML_LINE = 900  # SMTP allows 998 octets a line; a slot counts as 120 (the longest token) when cutting

OFFER_TEXT: dict[str, str] = {
    Offer.UNLOCK: "Use one of your free articles to read it",
    Offer.SUBSCRIBE: "Subscribers read it in full",
    Offer.VERIFY: "Confirm your address to read it",
    Offer.REGISTER: "Register to read it",
}
_inliner = css_inline.CSSInliner(
    keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False, minify_css=True
)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SlotTemplate:
    """Rendered text with slots: even parts are literal, odd parts name a slot."""

    parts: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> SlotTemplate:
        return cls(tuple(_SLOT_PATTERN.split(text)))

    def fill(self, values: dict[str, str]) -> str:
        parts = self.parts
        return "".join(values[part] if i % 2 else part for i, part in enumerate(parts))


@dataclass(frozen=True)
class Variant:
    """What differs between recipients' copies, apart from their tokens."""

    ad_free: bool
    access: tuple[tuple[int, bool, str], ...]  # per gated article: (id, full, offer)
    meter_remaining: int | None = None


@dataclass(frozen=True)
class RenderedVariant:
    html: SlotTemplate
    text: SlotTemplate


def variant_for(reader: Reader, *, gated_ids: list[int], now: dt.datetime) -> Variant:
    access = []
    offers_unlock = False
    for article_id in gated_ids:
        decision = decide_access(reader=reader, article=ArticleFacts(id=article_id), now=now)
        offer = "" if decision.full else str(decision.offer)
        offers_unlock = offers_unlock or offer == Offer.UNLOCK
        access.append((article_id, decision.full, offer))
    remaining = reader.meter.remaining if offers_unlock and reader.meter is not None else None
    return Variant(ad_free=is_entitled(reader, now), access=tuple(access), meter_remaining=remaining)


def recipient_tokens(*, reader_id: int, issue_id: int, newsletter_id: int) -> dict[str, str]:
    return {
        SLOT_LINK: tokens.link_token(reader_id, issue_id),
        SLOT_UNSUBSCRIBE: tokens.unsubscribe_token(reader_id, newsletter_id),
        SLOT_PREFERENCES: tokens.preferences_token(reader_id),
    }


def _urls(snapshot: dict) -> dict[str, str]:
    base = snapshot["base_url"]
    return {
        "unsubscribe": base + reverse("newsletters:unsubscribe", kwargs={"token": SLOT_UNSUBSCRIBE}),
        "preferences": base + reverse("newsletters:public_preferences", kwargs={"token": SLOT_PREFERENCES}),
        "subscribe": settings.MASTHEAD_SUBSCRIBE_URL,
    }


def link_url(snapshot: dict, article_id: int) -> str:
    return snapshot["base_url"] + reverse("newsletters:link", kwargs={"token": SLOT_LINK, "article_id": article_id})


def email_context(snapshot: dict, variant: Variant) -> dict:
    access = {article_id: (full, offer) for article_id, full, offer in variant.access}
    sections = []
    for section in snapshot["sections"]:
        items = []
        for item in section["items"]:
            full, offer = access.get(item["article_id"], (True, ""))
            items.append(
                {
                    **item,
                    "href": link_url(snapshot, item["article_id"]) if item["article_id"] and item["url"] else "",
                    "full": full,
                    "offer": offer,
                    "offer_text": OFFER_TEXT.get(offer, "") if offer else "",
                }
            )
        sections.append({**section, "items": items})
    return {
        "snapshot": snapshot,
        "issue": snapshot["issue"],
        "newsletter": snapshot["newsletter"],
        "site_name": snapshot["site_name"],
        "base_url": snapshot["base_url"],
        "introduction_html": snapshot["introduction_html"],
        "introduction_text": snapshot["introduction_text"],
        "sections": sections,
        "house_ad": None if variant.ad_free else snapshot["newsletter"]["house_ad"],
        "meter_remaining": variant.meter_remaining,
        "urls": _urls(snapshot),
    }


def compact_html(html: str) -> str:
    """Collapse whitespace runs (equivalent in HTML outside <pre>, which emails here do not use), then cut
    the result into lines of at most MAX_HTML_LINE: fewer, fuller lines are smaller and faster to relay."""
    return wrap_long_lines(_WHITESPACE.sub(" ", html).strip())


def wrap_long_lines(text: str, limit: int = MAX_HTML_LINE) -> str:
    """Break lines longer than `limit` octets at a space (HTML treats a newline as a space); slots count long."""
    out = []
    for line in text.split("\n"):
        while _effective_length(line) > limit:
            cut = line.rfind(" ", 0, limit)
            while cut > 0 and _effective_length(line[:cut]) > limit:
                cut = line.rfind(" ", 0, cut)
            if cut <= 0:
                cut = line.find(" ", 1)  # one very long word: cut after it
                if cut <= 0:
                    break
            out.append(line[:cut])
            line = line[cut + 1 :]
        out.append(line)
    return "\n".join(out)


def _effective_length(line: str) -> int:
    return len(line.encode()) + 120 * sum(line.count(slot) for slot in SLOTS)


def _text_lines(text: str) -> str:
    """Plain text wrapped at 76 columns, URLs kept whole, blank runs collapsed."""
    lines = []
    for line in text.splitlines():
        stripped = line.rstrip()
        if len(stripped) <= 76 or "://" in stripped:
            lines.append(stripped)
        else:
            indent = len(stripped) - len(stripped.lstrip())
            lines.extend(textwrap.wrap(stripped, 76, subsequent_indent=" " * indent, break_long_words=False))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def render_variant(snapshot: dict, variant: Variant) -> RenderedVariant:
    context = email_context(snapshot, variant)
    html = compact_html(_inliner.inline(str(render_to_string("newsletters/email/issue.html", context))))
    text = _text_lines(render_to_string("newsletters/email/issue.txt", context))
    return RenderedVariant(html=SlotTemplate.from_text(html), text=SlotTemplate.from_text(text))


@dataclass
class IssueRenderer:
    """Renders each variant of one issue once, then fills in each recipient's tokens."""

    snapshot: dict
    _variants: dict[Variant, RenderedVariant] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.gated_ids = gated_article_ids(self.snapshot)

    def variant(self, reader: Reader, now: dt.datetime) -> Variant:
        return variant_for(reader, gated_ids=self.gated_ids, now=now)

    def rendered(self, variant: Variant) -> RenderedVariant:
        found = self._variants.get(variant)
        if found is None:
            found = self._variants[variant] = render_variant(self.snapshot, variant)
        return found

    @property
    def variant_count(self) -> int:
        return len(self._variants)


# Previews and tests: synthetic readers standing for a free reader and a subscriber.
def preview_reader(mode: str) -> Reader:
    if mode == "subscriber":
        return Reader(
            is_authenticated=True,
            is_verified=True,
            entitlements=(Entitlement(kind=EntitlementKind.SUBSCRIPTION),),
        )
    return Reader(is_authenticated=True, is_verified=True, meter=MeterState(quota=3, used=1))


def preview_html(issue, *, mode: str, reader_id: int = 0) -> str:
    snapshot = build_snapshot(issue)
    renderer = IssueRenderer(snapshot)
    rendered = renderer.rendered(renderer.variant(preview_reader(mode), timezone.now()))
    issue_id = issue.pk or 0
    values = recipient_tokens(reader_id=reader_id, issue_id=issue_id, newsletter_id=issue.newsletter_id or 0)
    return rendered.html.fill(values)
