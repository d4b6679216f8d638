"""`{% feed_links %}`: the feed autodiscovery links for a page's <head>."""

from django import template
from django.urls import reverse

from masthead.articles.models import Author, Country, Topic, WorldRegion

register = template.Library()

_FEEDS = {Topic: "topic", WorldRegion: "region", Country: "country", Author: "author"}


@register.inclusion_tag("distribution/feed_links.html", takes_context=True)
def feed_links(context, hub=None) -> dict:
    """RSS and Atom links for the whole publication, or for one topic, world region, country or author hub."""
    site_name = context.get("site_name", "")
    name = _FEEDS.get(type(hub)) if hub is not None else None
    if name is None:
        return {
            "title": site_name,
            "rss": reverse("distribution:latest_rss"),
            "atom": reverse("distribution:latest_atom"),
        }
    return {
        "title": f"{hub.name} | {site_name}" if site_name else hub.name,
        "rss": reverse(f"distribution:{name}_rss", kwargs={"slug": hub.slug}),
        "atom": reverse(f"distribution:{name}_atom", kwargs={"slug": hub.slug}),
    }
