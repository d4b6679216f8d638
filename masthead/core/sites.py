"""The request's Wagtail site and site settings, read once per content version by each process.

Wagtail finds a request's site with a query (`get_site_for_hostname`, a
CASE-ordered select with the root page) and each site setting with another
(`get_or_create`), then keeps them on the request. Every page Django renders
asks for both (the settings context processor, the access settings), so a
search page paid about 2 ms of SQL and query building for them. Sites and
settings are watched by the content version (`masthead.core.signals`): this
middleware keeps what Wagtail found per host, port and version, and hands each
request its own copies, where Wagtail looks for them (`request._wagtail_site`
and each setting's cache attribute). Wagtail's code finds them there and reads
nothing; when the version cannot be read, nothing is kept and Wagtail reads
them as usual.
"""

from __future__ import annotations

import copy

from django.http import HttpRequest
from django.http.request import split_domain_port
from wagtail.contrib.settings.models import BaseSiteSetting
from wagtail.contrib.settings.registry import registry
from wagtail.models import Site
from wagtail.models.sites import get_site_for_hostname

from . import content_version
from .memo import Memo

# (host name, port, content version) -> (site or None, {setting model: its row for the site})
_found = Memo(64)


def _site_settings(site: Site | None) -> dict:
    if site is None:
        return {}
    models = [model for model in registry if issubclass(model, BaseSiteSetting)]
    return {model: model.for_site(site) for model in models}


def _own_copy(instance):
    """A copy for one request: what it caches on its instance (a related row, say) stays with it."""
    found = copy.copy(instance)
    found._state.fields_cache = {name: copy.copy(value) for name, value in instance._state.fields_cache.items()}
    return found


def prime(request: HttpRequest) -> None:
    """Give the request the site and site settings Wagtail would look up, from this process's copies."""
    version = content_version.current()
    if version < 0 or hasattr(request, "_wagtail_site"):
        return
    # As Wagtail's `Site._find_for_request` (the raw host: no ALLOWED_HOSTS check, done by then anyway).
    hostname = split_domain_port(request._get_raw_host())[0]  # type: ignore[attr-defined]
    key = (hostname, request.get_port(), version)
    found = _found.get(key)
    if found is None:
        try:
            site = get_site_for_hostname(hostname, key[1])
        except Site.DoesNotExist:
            site = None
        found = (site, _site_settings(site))
        _found.set(key, found)
    site, settings_rows = found
    request._wagtail_site = None if site is None else _own_copy(site)  # type: ignore[attr-defined]
    for model, row in settings_rows.items():
        mine = _own_copy(row)
        mine._request = request  # as `BaseSiteSetting.for_request` leaves it (page URLs of the setting)
        setattr(request, model.get_cache_attr_name(), mine)


class KeptSiteMiddleware:
    """Sets up `prime` for every request Django handles (after the host was checked by CommonMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        prime(request)
        return self.get_response(request)
