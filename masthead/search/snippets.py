"""Highlighted snippets, made only from text the reader may read.

The caller passes the visible text: the dek and the body blocks the access
decision lets through (the teaser of a gated article, the whole body when the
decision is "full"). Nothing else is read here, so a snippet cannot show
withheld text. Every character is escaped; only the `<mark>` elements around
matched words are markup.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from masthead.articles.text import raw_text_blocks

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


def _may_match(text: str, stems) -> bool:
    """Whether a text holds one of these stems: a matched word starts with its stem, so without one, no match."""
    lowered = text.lower()
    return any(stemmed in lowered for stemmed in stems)


def snippet_texts(raw_blocks: Iterable[dict], terms: Iterable[str]) -> Iterator[str]:
    """The plain text of the visible body blocks (stored form) a snippet can come from, in order.

    `snippet` shows the passage with the most matched words, or the opening text
    when none matches. So the text of a block is worked out (markup stripped:
    Django's `strip_tags`, about 40 µs a paragraph) only for the opening and for
    blocks whose stored value holds a matched word's stem: a matched word starts
    with its stem, so a block without one has no match. A whole body is some
    twenty paragraphs, and a page of results has twenty bodies.
    """
    _, stems = _matcher(terms)
    opening = False
    for block in raw_blocks:
        if opening and not _may_match(str(block.get("value", "")), stems):
            continue
        for text in raw_text_blocks([block]):
            opening = opening or bool(text.strip())
            yield text


def highlight(text: str, terms: Iterable[str]) -> SafeString:
    """The whole text, escaped, with the words that match `terms` in `<mark>`."""
    matches, stems = _matcher(terms)
    if not _may_match(text, stems):
        return escape(text)
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


def best_passage(texts: Iterable[str], terms: Iterable[str]) -> tuple[str, int] | None:
    """The visible text with the most distinct matched words (the first of equals), and the index of its first match.

    Reads `texts` only until one has every term: no later text can have more.
    """
    matches, stems = _matcher(terms)
    if not stems:
        return None
    best: tuple[int, str, list[str]] | None = None  # (distinct matched words, text, its words)
    for text in texts:
        if not _may_match(text, stems):
            continue
        words = _TOKEN.findall(text)
        found = {stemmed for stemmed in map(stem, set(words)) if stemmed in stems}
        if found and (best is None or len(found) > best[0]):
            best = (len(found), text, words)
            if len(found) == len(stems):
                break
    if best is None:
        return None
    _, text, words = best
    return text, next(i for i, word in enumerate(words) if matches(word))


def snippet(texts: Iterable[str], terms: Iterable[str], *, words: int = SNIPPET_WORDS) -> SafeString:
    """About `words` words of the best matching text, matches marked; the first text's opening if none match.

    `texts` is read lazily (see `best_passage`), so a generator such as `snippet_texts` strips the markup of
    the blocks up to the best passage only.
    """
    terms = list(terms)
    shown = (text for text in texts if text and text.strip())
    opening = next(shown, None)
    if opening is None:
        return mark_safe("")
    found = best_passage(itertools.chain([opening], shown), terms)
    text, first = found if found else (opening, 0)
    start = max(0, first - LEAD_WORDS)
    # The words' places up to one past the window: enough to cut it and to tell whether more follows.
    spans = [match.span() for match in itertools.islice(_TOKEN.finditer(text), start + words + 1)]
    more = len(spans) > start + words
    end = start + words if more else len(spans)
    if not more:
        start = max(0, end - words)  # the window reaches the end: show the words before it instead
    excerpt = _excerpt(text, spans, start, end)
    prefix = "… " if start > 0 else ""
    suffix = " …" if more else ""
    return mark_safe(escape(prefix) + highlight(excerpt, terms) + escape(suffix))  # noqa: S308 - escaped


def _excerpt(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """The text from its `start`th word to just after its `end - 1`th word (`spans`: the words' places), trimmed."""
    if not spans:
        return text.strip()
    begin = spans[start][0] if start < len(spans) else len(text)
    finish = spans[end - 1][1] if end - 1 < len(spans) else len(text)
    # Keep a closing punctuation mark that ends the sentence.
    if finish < len(text) and text[finish] in '.?!;:\u2019\u201d")':
        finish += 1
    return text[begin:finish].strip()
