"""Bounces and complaints reported by the sending service (django-anymail's tracking webhooks).

A hard bounce, a complaint, a rejection or an unsubscribe at the service
suppresses the address: no newsletter goes to it again (claims re-check, so
a send in progress skips it from its next batch). Soft bounces and deferrals
do not. Events are only trusted when the webhook is authenticated
(ANYMAIL["WEBHOOK_SECRET"]); otherwise anyone could suppress any address.
"""

from __future__ import annotations

import logging

from anymail.signals import tracking
from django.conf import settings
from django.dispatch import receiver

from .preferences import SUPPRESSING_EVENTS, suppress

logger = logging.getLogger(__name__)
TEMPORARY_TYPES = {"SoftBounce", "Transient", "DnsError"}  # Postmark's bounce types that are not final


def _webhook_authenticated() -> bool:
    return bool((getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"))


@receiver(tracking, dispatch_uid="masthead.newsletters.suppress_on_tracking")
def suppress_on_tracking(sender, event, esp_name, **kwargs):
    reason = SUPPRESSING_EVENTS.get(event.event_type)
    if reason is None or not event.recipient:
        return
    if not _webhook_authenticated():
        logger.warning("Ignoring a %s event from %s: set ANYMAIL_WEBHOOK_SECRET", event.event_type, esp_name)
        return
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    if esp_event.get("Type") in TEMPORARY_TYPES:
        return
    detail = f"{esp_name}: {event.description or event.reject_reason or event.event_type}"
    suppress(event.recipient, reason=reason, detail=detail)
