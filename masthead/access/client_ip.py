"""The reader's IP address, as far as this server can know it.

By default the socket's address is the client's. Behind proxies the operator
sets ACCESS_TRUSTED_PROXIES to how many of them append to X-Forwarded-For;
the address that many hops from the right is the client's. Anything a client
writes into that header beyond our own proxies is ignored.
"""

from __future__ import annotations

import functools
import ipaddress

from django.http import HttpRequest

from masthead.core.conf import setting

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=4096)  # the same few addresses come back request after request
def _parse(value: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(request: HttpRequest) -> IPAddress | None:
    """The client's address, or None when it cannot be trusted or parsed (no institution then)."""
    trusted_proxies = int(setting("ACCESS_TRUSTED_PROXIES", 0))
    socket_address = _parse(request.META.get("REMOTE_ADDR", ""))
    if trusted_proxies <= 0:
        return socket_address
    forwarded = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    # Our proxies each appended one hop; the client is the hop before the first of them.
    if len(forwarded) < trusted_proxies:
        return None
    return _parse(forwarded[-trusted_proxies])
