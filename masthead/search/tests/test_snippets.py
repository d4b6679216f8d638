"""Snippets mark the reader's words and escape everything else."""

import random

from masthead.articles.text import raw_text_blocks
from masthead.search import snippets
from masthead.search.snippets import highlight, snippet, snippet_texts, stem


def test_word_forms_share_a_stem():
    assert stem("sanctions") == stem("sanction")
    assert stem("subscriptions") == stem("subscription")


def test_highlight_marks_matches_and_escapes_the_rest():
    html = highlight("Oil & <b>gas</b> sanctions", ["sanction", "gas"])
    assert html == "Oil &amp; &lt;b&gt;<mark>gas</mark>&lt;/b&gt; <mark>sanctions</mark>"


def test_a_snippet_comes_from_the_text_with_the_most_matched_words():
    texts = ["Nothing to see.", "Oil prices rose.", "Oil and gas prices rose again."]
    html = snippet(texts, ["oil", "gas"])
    assert "<mark>gas</mark>" in html
    assert html.startswith("<mark>Oil</mark> and")


def test_a_long_text_is_cut_around_the_first_match():
    words = " ".join(f"word{n}" for n in range(200))
    html = snippet([words + " target " + words], ["target"], words=20)
    assert html.startswith("… ")
    assert html.endswith(" …")
    assert "<mark>target</mark>" in html


def test_without_a_match_the_snippet_is_the_opening_of_the_text():
    assert snippet(["First paragraph here.", "Second."], ["absent"]) == "First paragraph here."


def test_no_text_gives_an_empty_snippet():
    assert snippet([], ["oil"]) == ""


def _paragraph(text: str) -> dict:
    return {"type": "paragraph", "value": f"<p>{text}</p>"}


def test_snippet_texts_are_the_opening_and_the_blocks_that_may_match():
    blocks = [
        {"type": "image", "value": {"image": 1, "caption": "", "credit": ""}},
        _paragraph(""),
        _paragraph("The <i>opening</i> paragraph."),
        _paragraph("Nothing here either."),
        {"type": "pull_quote", "value": {"quote": "Sanctions bite slowly.", "attribution": ""}},
        _paragraph("Traders felt the <b>sanction</b> at once."),
    ]
    assert list(snippet_texts(blocks, ["sanctions"])) == [
        "",
        "The opening paragraph.",
        "Sanctions bite slowly.",
        "Traders felt the sanction at once.",
    ]
    assert list(snippet_texts(blocks, [])) == ["", "The opening paragraph."]


def test_snippet_texts_give_the_snippet_all_the_texts_would():
    rng = random.Random(7)
    vocabulary = ["oil", "gas", "sanctions", "talks", "treaty", "grain", "border", "reform", "the", "and"]
    for _ in range(300):
        texts = [" ".join(rng.choices(vocabulary, k=rng.randint(0, 30))) for _ in range(rng.randint(1, 12))]
        blocks = [_paragraph(text) for text in texts]
        terms = rng.sample(["sanction", "gas", "treaty", "harbour", "reforms"], k=rng.randint(0, 2))
        fewer = list(snippet_texts(blocks, terms))
        assert snippet(fewer, terms) == snippet(list(raw_text_blocks(blocks)), terms)


def test_blocks_without_a_stem_are_not_stripped(monkeypatch):
    stripped = []
    original = snippets.raw_text_blocks
    monkeypatch.setattr(snippets, "raw_text_blocks", lambda blocks: stripped.extend(blocks) or original(blocks))
    blocks = [_paragraph("Opening."), *[_paragraph("Filler words only.") for _ in range(20)], _paragraph("Oil.")]
    assert list(snippet_texts(blocks, ["oil"])) == ["Opening.", "Oil."]
    assert len(stripped) == 2


def _reference_snippet(texts, terms, words=snippets.SNIPPET_WORDS):
    """The snippet as first written: every text read, every word of the chosen one listed."""
    texts = [text for text in texts if text and text.strip()]
    if not texts:
        return ""
    matches, stems = snippets._matcher(terms)
    best = None
    for text in texts:
        found = {stemmed for stemmed in map(stem, set(snippets._TOKEN.findall(text))) if stemmed in stems}
        if found and (best is None or len(found) > best[0]):
            best = (len(found), text)
    text = best[1] if best else texts[0]
    tokens = snippets._TOKEN.findall(text)
    first = next((i for i, word in enumerate(tokens) if matches(word)), 0) if best else 0
    start = max(0, first - snippets.LEAD_WORDS)
    end = min(len(tokens), start + words)
    start = max(0, end - words) if end == len(tokens) else start
    positions = [match.span() for match in snippets._TOKEN.finditer(text)]
    if positions:
        begin = positions[start][0] if start < len(positions) else len(text)
        finish = positions[end - 1][1] if end - 1 < len(positions) else len(text)
        if finish < len(text) and text[finish] in '.?!;:\u2019\u201d")':
            finish += 1
        excerpt = text[begin:finish].strip()
    else:
        excerpt = text.strip()
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(tokens) else ""
    return str(snippets.escape(prefix) + highlight(excerpt, terms) + snippets.escape(suffix))


def test_the_snippet_is_the_one_every_text_read_in_full_gives():
    rng = random.Random(11)
    vocabulary = ["Oil", "gas,", "sanctions.", "talks", "treaty;", "grain", "border", "reform", "—", "l'état", "x_y"]
    for _ in range(500):
        texts = [" ".join(rng.choices(vocabulary, k=rng.randint(0, 60))) for _ in range(rng.randint(0, 6))]
        terms = rng.sample(["sanction", "gas", "treaty", "harbour", "reforms", "oil", "état"], k=rng.randint(0, 3))
        words = rng.choice([5, 12, snippets.SNIPPET_WORDS])
        assert str(snippet(iter(texts), terms, words=words)) == _reference_snippet(texts, terms, words)
