"""Extractive summaries: the sentences of an article that best say what it is about.

Deterministic and local: no network, no model. Each sentence is scored by how
frequent its content words are in the text (term frequency, normalised by the
most frequent word), words of the headline and dek count extra, early
sentences and paragraph openings get a position bonus, and sentences that
merely repeat the dek are passed over (readers see the dek already). The
best N are returned in the order they appear. Equal scores go to the earlier
sentence, so the same text always gives the same summary.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_STOPWORDS_TEXT = """
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off
on once only or other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours yourself yourselves one two three said says may might
must shall its it's year years new like well even still yet much many however though although since per via
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_ABBREVIATIONS = (
    "Mr.",
    "Mrs.",
    "Ms.",
    "Dr.",
    "Prof.",
    "St.",
    "e.g.",
    "i.e.",
    "U.S.",
    "U.K.",
    "U.N.",
    "E.U.",
    "No.",
    "vs.",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")
_WORD = re.compile(r"[a-z][a-z'\u2019-]*[a-z]|[a-z]")
_WORD_EDGES = "'\u2019-"
MIN_WORDS = 6
MAX_WORDS = 45
MAX_CHARACTERS = 420


@dataclass(frozen=True)
class Sentence:
    text: str
    paragraph: int
    index: int  # position in the whole text
    first_in_paragraph: bool


def words(text: str) -> list[str]:
    return [
        w.strip(_WORD_EDGES)
        for w in _WORD.findall(text.lower())
        if w.strip(_WORD_EDGES) not in STOPWORDS and len(w) > 2
    ]


def split_sentences(paragraph: str) -> list[str]:
    protected = paragraph
    for n, abbreviation in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbreviation, f"\x00{n}\x00")
    pieces = _SENTENCE_END.split(protected.strip())
    restored = []
    for piece in pieces:
        for n, abbreviation in enumerate(_ABBREVIATIONS):
            piece = piece.replace(f"\x00{n}\x00", abbreviation)
        piece = " ".join(piece.split())
        if piece:
            restored.append(piece)
    return restored


def sentences_of(paragraphs: Sequence[str]) -> list[Sentence]:
    found: list[Sentence] = []
    for p, paragraph in enumerate(paragraphs):
        for s, text in enumerate(split_sentences(paragraph)):
            found.append(Sentence(text=text, paragraph=p, index=len(found), first_in_paragraph=s == 0))
    return found


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def score_sentences(paragraphs: Sequence[str], *, headline: str = "", dek: str = "") -> list[tuple[float, Sentence]]:
    sentences = sentences_of(paragraphs)
    frequencies = Counter(w for sentence in sentences for w in words(sentence.text))
    if not frequencies:
        return [(0.0, s) for s in sentences]
    top = max(frequencies.values())
    title_words = set(words(headline)) | set(words(dek))
    dek_words = set(words(dek))
    scored = []
    for sentence in sentences:
        content = words(sentence.text)
        length = len(sentence.text.split())
        if not content:
            scored.append((0.0, sentence))
            continue
        weight = sum(frequencies[w] / top * (1.5 if w in title_words else 1.0) for w in set(content))
        score = weight / math.sqrt(len(content))
        score += 0.35 / (1 + sentence.index) + (0.15 / (1 + sentence.paragraph) if sentence.first_in_paragraph else 0.0)
        if length < MIN_WORDS or length > MAX_WORDS:
            score *= 0.3
        if _overlap(set(content), dek_words) > 0.6:
            score *= 0.2  # the reader has just read the dek
        scored.append((round(score, 9), sentence))
    return scored


def summarise(paragraphs: Sequence[str], *, sentences: int = 2, headline: str = "", dek: str = "") -> str:
    """The `sentences` best sentences of the text, in their order, within MAX_CHARACTERS where possible."""
    return " ".join(s.text for s in choose(paragraphs, sentences=sentences, headline=headline, dek=dek))


def choose(paragraphs: Sequence[str], *, sentences: int = 2, headline: str = "", dek: str = "") -> list[Sentence]:
    scored = score_sentences(paragraphs, headline=headline, dek=dek)
    ranked = sorted(scored, key=lambda pair: (-pair[0], pair[1].index))
    chosen: list[Sentence] = []
    length = 0
    for _score, sentence in ranked:
        if len(chosen) == sentences:
            break
        if chosen and length + len(sentence.text) > MAX_CHARACTERS:
            continue
        chosen.append(sentence)
        length += len(sentence.text) + 1
    return sorted(chosen, key=lambda s: s.index)
