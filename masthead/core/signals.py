"""Raise the content version (`content_version.bump`) on every change a page may show."""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.signals import page_published, page_unpublished, post_page_move

from . import content_version

# What a rendered page shows besides the page itself: bylines, tags, navigation, pictures, settings,
# and who may see a page at all.
WATCHED_MODELS = [
    "articles.Author",
    "articles.Topic",
    "articles.WorldRegion",
    "articles.Country",
    "core.MastheadImage",
    "core.PublicationSettings",
    "access.AccessSettings",
    "wagtailcore.Site",
    "wagtailcore.PageViewRestriction",
    "wagtailcore.Page",
]


# Fields Wagtail fills in on an image by itself while rendering it (not an edit anyone sees).
_IMAGE_BOOKKEEPING = {"file_size", "file_hash"}


def _image_saved(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields and set(update_fields) <= _IMAGE_BOOKKEEPING:
        return
    content_version.bump()


def connect() -> None:
    page_published.connect(content_version.bump, dispatch_uid="content_version.page_published")
    page_unpublished.connect(content_version.bump, dispatch_uid="content_version.page_unpublished")
    post_page_move.connect(content_version.bump, dispatch_uid="content_version.post_page_move")
    for label in WATCHED_MODELS:
        model = apps.get_model(label)
        if label == "core.MastheadImage":
            post_save.connect(_image_saved, sender=model, dispatch_uid=f"content_version.save.{label}")
        elif label != "wagtailcore.Page":
            # Saving a page is a draft until it is published: publish and unpublish are the signals for pages.
            post_save.connect(content_version.bump, sender=model, dispatch_uid=f"content_version.save.{label}")
        post_delete.connect(content_version.bump, sender=model, dispatch_uid=f"content_version.delete.{label}")
    groups = apps.get_model("wagtailcore.PageViewRestriction").groups.through
    m2m_changed.connect(content_version.bump, sender=groups, dispatch_uid="content_version.restriction_groups")
