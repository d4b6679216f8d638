"""Snippets mark the reader's words and escape everything else."""

from masthead.search.snippets import highlight, snippet, stem


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
