"""Body blocks as HTML for readers outside the page: feed readers and API clients.

Only the blocks given are rendered; callers pass `ArticleView.blocks`, the
blocks the access decision lets leave the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

_URL_ATTRIBUTE = re.compile(r'\b(href|src)="(/(?!/)[^"]*)"')
_SRCSET = re.compile(r'\bsrcset="([^"]*)"')


def site_base_url(request: HttpRequest) -> str:
    """`https://host` of the request, without a trailing slash."""
    return request.build_absolute_uri("/").rstrip("/")


def absolute_urls(html: str, *, base_url: str) -> str:
    """Make root-relative links and image sources absolute: feed readers and apps have no page to resolve them."""

    def attribute(match: re.Match[str]) -> str:
        return f'{match.group(1)}="{base_url}{match.group(2)}"'

    def srcset(match: re.Match[str]) -> str:
        candidates = []
        for candidate in match.group(1).split(","):
            candidate = candidate.strip()
            if candidate.startswith("/") and not candidate.startswith("//"):
                candidate = base_url + candidate
            candidates.append(candidate)
        return f'srcset="{", ".join(candidates)}"'

    return _SRCSET.sub(srcset, _URL_ATTRIBUTE.sub(attribute, html))


def render_block(block: Any, *, base_url: str) -> str:
    """One body block through its own template, with absolute URLs."""
    return absolute_urls(str(block.render()), base_url=base_url).strip()


def render_blocks(blocks: Iterable[Any], *, base_url: str) -> list[dict[str, str]]:
    return [{"type": block.block_type, "html": render_block(block, base_url=base_url)} for block in blocks]
