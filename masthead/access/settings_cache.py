"""The paywall's settings of a site, read once per content version by each process."""

from __future__ import annotations

from dataclasses import dataclass

from masthead.core import content_version
from masthead.core.memo import Memo

from .models import AccessSettings


@dataclass(frozen=True)
class AccessNumbers:
    monthly_free_articles: int
    teaser_paragraphs: int
    monthly_gift_links: int
    gift_link_days: int


_numbers = Memo(64)


def access_settings_for_site(site_id: int) -> AccessNumbers:
    """Saving the settings raises the content version (masthead.core.signals), so a change applies at once."""
    version = content_version.current()
    key = (site_id, version)
    found = _numbers.get(key) if version >= 0 else None
    if found is None:
        row = AccessSettings.objects.filter(site_id=site_id).first() or AccessSettings(site_id=site_id)
        found = AccessNumbers(
            monthly_free_articles=row.monthly_free_articles,
            teaser_paragraphs=row.teaser_paragraphs,
            monthly_gift_links=row.monthly_gift_links,
            gift_link_days=row.gift_link_days,
        )
        if version >= 0:
            _numbers.set(key, found)
    return found


def forget() -> None:
    _numbers.clear()
