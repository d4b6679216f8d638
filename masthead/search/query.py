"""What a reader typed, made safe: words, "phrases in quotes" and -exclusions.

The reader's text never reaches a search engine's own query syntax. It is
cut into words (letters and digits of any script) and rebuilt as Wagtail's
query objects (`PlainText`, `Phrase`, `Not`, `And`), which each backend
quotes itself. Quotes, operators, `*`, `:`, backslashes, SQL fragments,
NUL bytes, emoji and 10 KB pastes all end up as words or as nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from wagtail.search.query import And, Not, Phrase, PlainText, SearchQuery

from masthead.articles.text import normalised_words

MAX_QUERY_LENGTH = 200  # characters kept of what the reader typed
MAX_TERMS = 10  # words and phrases a reader may ask for at once
MAX_EXCLUSIONS = 5
MAX_PHRASE_WORDS = 8
MAX_WORD_LENGTH = 40

# Letters and digits in any script; apostrophes, hyphens and dots split words ("back-channel" is the phrase "back
# channel"), as both backends' tokenizers do. After the first word of a phrase, a hyphenated word stays whole:
# PostgreSQL's parser indexes it as itself, then its parts ("arms build-up": 'arm' 1, 'build-up' 2, 'build' 3), so
# the phrase "arms build up" ('arm' <-> 'build') never matched it there, where "arms build-up" does. FTS5 reads a
# hyphenated word as its parts in a row, either way.
# A word as a phrase keeps it: letters and digits, hyphens joining parts (the PostgreSQL backend's phrases match it).
WORD_PATTERN = r"[^\W_]+(?:-[^\W_]+)*"
_WORD = re.compile(WORD_PATTERN)
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2212": "-"})
# A clause: an optional minus sign at the start of a term, then a quoted phrase or a bare word.
_CLAUSE = re.compile(r'(?P<minus>-?)(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))')

# PostgreSQL's English configuration drops these; dropping them from bare words on
# every backend keeps "the war" finding the same articles on SQLite and PostgreSQL.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below between
    both but by can did do does doing don down during each few for from further had has have having he her
    here hers herself him himself his how i if in into is it its itself just me more most my myself no nor
    not now of off on once only or other our ours ourselves out over own s same she should so some such t
    than that the their theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with you your yours yourself yourselves
    """.split()  # noqa: SIM905 - a word list reads best as words
)


@dataclass(frozen=True)
class ParsedQuery:
    """A reader's query as words and phrases, and Wagtail's query object for it."""

    text: str  # what the reader typed, cleaned and shortened, for the search box
    words: tuple[str, ...] = ()  # bare words to find (lower case, stop words dropped)
    phrases: tuple[tuple[str, ...], ...] = ()  # phrases to find, word by word
    excluded: tuple[tuple[str, ...], ...] = ()  # words or phrases the results must not contain
    dropped: tuple[str, ...] = field(default=())  # stop words left out

    @property
    def is_empty(self) -> bool:
        """Nothing to look for: an empty box, or only punctuation, emoji or stop words."""
        return not self.words and not self.phrases

    @property
    def only_exclusions(self) -> bool:
        return self.is_empty and bool(self.excluded)

    @property
    def highlight_terms(self) -> frozenset[str]:
        """The words a snippet marks: every word looked for, bare or in a phrase, a compound's parts."""
        words = (*self.words, *(word for phrase in self.phrases for word in phrase))
        return frozenset(part for word in words for part in word.split("-"))

    @property
    def headline_text(self) -> str:
        """The query as a headline would read, for "exact headline match comes first"."""
        return " ".join(self.text.replace('"', " ").split())

    def search_query(self) -> SearchQuery | None:
        """Wagtail's query object: every word and phrase, none of the exclusions. None when empty."""
        if self.is_empty:
            return None
        parts: list[SearchQuery] = []
        if self.words:
            parts.append(PlainText(" ".join(self.words), operator="and"))
        parts.extend(Phrase(" ".join(phrase)) for phrase in self.phrases)
        parts.extend(Not(_term(words)) for words in self.excluded)
        return parts[0] if len(parts) == 1 else And(parts)


def _term(words: tuple[str, ...]) -> SearchQuery:
    return Phrase(" ".join(words)) if len(words) > 1 else PlainText(words[0])


def clean_text(raw: object, *, limit: int = MAX_QUERY_LENGTH) -> str:
    """Printable text on one line: control characters (NUL among them) become spaces."""
    text = unicodedata.normalize("NFC", str(raw or ""))[: limit * 4]
    text = "".join(" " if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") else char for char in text)
    return " ".join(text.split())[:limit].strip()


def _words(text: str) -> tuple[str, ...]:
    return tuple(word[:MAX_WORD_LENGTH] for word in normalised_words(text))


def _stop_words_only(words) -> bool:
    """Whether these words are all stop words (none: true), which PostgreSQL's configuration drops."""
    return all(word in STOPWORDS for word in words)


def _phrase_words(text: str) -> tuple[str, ...]:
    """The words of a quoted phrase, a hyphenated word whole (cut short, it ends with a part).

    Alone, or first but for stop words, it is its parts, which PostgreSQL indexes right after it: "back-channel
    talks" as 'back' <-> 'channel' <-> 'talk' finds what 'back-channel' <-> 'back' <-> 'channel' <-> 'talk' finds
    (and, as FTS5 does, "back channel talks" too), with one word pair fewer to look for in every body having them
    (228 -> 112 ms).
    """
    parts: list[str] = []
    for word in _WORD.findall(text.lower()):
        if _stop_words_only(parts):  # nothing PostgreSQL keeps before it: the word's parts
            parts.extend(_words(word))
        else:
            parts.append(word[:MAX_WORD_LENGTH].rstrip("-"))
    return tuple(parts)


def parse_query(raw: object) -> ParsedQuery:
    """Parse what the reader typed. Never raises: the worst input gives an empty query."""
    text = clean_text(raw)
    scanned = text.translate(_QUOTES)
    if scanned.count('"') % 2:
        # An unbalanced quote quotes nothing: drop the last one, keep the words.
        cut = scanned.rfind('"')
        scanned = scanned[:cut] + " " + scanned[cut + 1 :]

    words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[tuple[str, ...]] = []
    dropped: list[str] = []
    for match in _CLAUSE.finditer(scanned):
        negative = bool(match["minus"])
        if match["phrase"] is not None:
            parts = _phrase_words(match["phrase"])[:MAX_PHRASE_WORDS]
        else:
            parts = _words(match["word"])[:MAX_PHRASE_WORDS]
        if not parts:
            continue
        if _stop_words_only(parts):
            # PostgreSQL drops them, quoted or not, and asks for nothing; FTS5, which keeps them, would look for
            # (or leave out) every article with "of the": left out on both.
            dropped.extend(part for part in parts if part not in dropped)
            continue
        if negative:
            if len(excluded) < MAX_EXCLUSIONS and parts not in excluded:
                excluded.append(parts)
            continue
        if len(parts) > 1:
            if parts not in phrases:
                phrases.append(parts)
        elif parts[0] not in words:
            words.append(parts[0])

    terms = len(words) + len(phrases)
    if terms > MAX_TERMS:
        keep_phrases = phrases[:MAX_TERMS]
        words = words[: MAX_TERMS - len(keep_phrases)]
        phrases = keep_phrases
    return ParsedQuery(
        text=text,
        words=tuple(words),
        phrases=tuple(phrases),
        excluded=tuple(excluded),
        dropped=tuple(dropped),
    )
