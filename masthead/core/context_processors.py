from django.conf import settings
from django.http import HttpRequest
from wagtail.models import Site

from masthead.articles import selectors


def navigation(request: HttpRequest) -> dict:
    """What every page's header and footer show; the topics are fetched only if a template asks."""
    site = Site.find_for_request(request)
    return {
        "site_name": (site.site_name if site else "") or settings.WAGTAIL_SITE_NAME,
        "primary_topics": selectors.navigation_topics,
    }
