"""What distribution says about the publication itself."""

from django.conf import settings
from django.http import HttpRequest
from wagtail.models import Site


def publication_name(request: HttpRequest) -> str:
    """The publication's name as readers see it, as the page header does."""
    site = Site.find_for_request(request)
    return (site.site_name if site else "") or settings.WAGTAIL_SITE_NAME
