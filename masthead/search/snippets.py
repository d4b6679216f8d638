"""Highlighted snippets, made only from text the reader may read.

The caller passes the visible text: the dek and the body blocks the access
decision lets through (the teaser of a gated article, the whole body when the
decision is "full"). Nothing else is read here, so a snippet cannot show
withheld text. Every character is escaped; only the `<mark>` elements around
matched words are markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SNIPPET_WORDS = 36  # about two lines of a result
LEAD_WORDS = 8  # words shown before the first match

_TOKEN = re.compile(r"([^\W_]+)")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ions", "ion", "ies", "ied", "es", "ed", "s")


@lru_cache(maxsize=65_536)  # a page of results stems thousands of words, mostly the same few hundred
def stem(word: str) -> str:
    """A light stemmer, enough to find "sanctions" when the reader asked for "sanction"."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _matcher(terms: Iterable[str]):
    stems = {stem(term) for term in terms if term}

    def matches(word: str) -> bool:
        return bool(stems) and stem(word) in stems

    return matches, stems


def highlight(text: str, terms: Iterable[str]) -> SafeString:
    """The whole text, escaped, with the words that match `terms` in `<mark>`."""
    matches, _ = _matcher(terms)
    out: list[str] = []
    plain: list[str] = []  # the text since the last match, escaped in one go
    for index, part in enumerate(_TOKEN.split(text)):
        if index % 2 and matches(part):
            out.append(escape("".join(plain)))
            plain.clear()
            out.append(f"<mark>{escape(part)}</mark>")
        else:
            plain.append(part)
    out.append(escape("".join(plain)))
    return mark_safe("".join(out))  # noqa: S308 - every part escaped above


def best_passage(texts: Sequence[str], terms: Iterable[str]) -> tuple[str, int] | None:
    """The visible text with the most distinct matched words (the first of equals), and the index of its first match."""
    matches, stems = _matcher(terms)
    if not stems:
        return None
    best: tuple[int, str, list[str]] | None = None  # (distinct matched words, text, its words)
    for text in texts:
        words = _TOKEN.findall(text)
        found = {stemmed for stemmed in map(stem, set(words)) if stemmed in stems}
        if found and (best is None or len(found) > best[0]):
            best = (len(found), text, words)
    if best is None:
        return None
    _, text, words = best
    return text, next(i for i, word in enumerate(words) if matches(word))


def snippet(texts: Sequence[str], terms: Iterable[str], *, words: int = SNIPPET_WORDS) -> SafeString:
    """About `words` words of the best matching text, matches marked; the first text's opening if none match."""
    terms = list(terms)
    texts = [text for text in texts if text and text.strip()]
    if not texts:
        return mark_safe("")
    found = best_passage(texts, terms)
    text, first = found if found else (texts[0], 0)
    tokens = _TOKEN.findall(text)
    start = max(0, first - LEAD_WORDS)
    end = min(len(tokens), start + words)
    start = max(0, end - words) if end == len(tokens) else start
    excerpt = _excerpt(text, start, end)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(tokens) else ""
    return mark_safe(escape(prefix) + highlight(excerpt, terms) + escape(suffix))  # noqa: S308 - escaped


def _excerpt(text: str, start: int, end: int) -> str:
    """The text from its `start`th word to just after its `end - 1`th word, trimmed."""
    positions = [match.span() for match in _TOKEN.finditer(text)]
    if not positions:
        return text.strip()
    begin = positions[start][0] if start < len(positions) else len(text)
    finish = positions[end - 1][1] if end - 1 < len(positions) else len(text)
    # Keep a closing punctuation mark that ends the sentence.
    if finish < len(text) and text[finish] in '.?!;:\u2019\u201d")':
        finish += 1
    return text[begin:finish].strip()
