"""What a reader types becomes words, phrases and exclusions, whatever it contains."""

from __future__ import annotations

import pytest
from wagtail.search.query import And, Not, Phrase, PlainText

from masthead.search.query import MAX_QUERY_LENGTH, MAX_TERMS, parse_query


def test_words_are_lower_cased_and_stop_words_dropped():
    query = parse_query("The Sanctions ON Kabul")
    assert query.words == ("sanctions", "kabul")
    assert query.dropped == ("the", "on")


def test_quotes_make_a_phrase_and_a_minus_sign_an_exclusion():
    query = parse_query('oil "back-channel talks" -gas -"price cap"')
    assert query.words == ("oil",)
    assert query.phrases == (("back", "channel", "talks"),)
    assert query.excluded == (("gas",), ("price", "cap"))


def test_a_hyphenated_word_after_a_phrases_first_stays_whole_and_its_parts_are_highlighted():
    """PostgreSQL indexes "arms build-up" as 'arm', 'build-up', 'build': split, the phrase would never match there.

    Alone (bare, or the only word in quotes) or first but for stop words, it is its parts, which PostgreSQL indexes
    right after it."""
    query = parse_query('build-up "arms build-up" -"long-term plan" -"a cease-fire" "back-channel"')
    assert query.phrases == (("build", "up"), ("arms", "build-up"), ("back", "channel"))
    assert query.excluded == (("long", "term", "plan"), ("a", "cease", "fire"))
    assert query.highlight_terms == {"build", "up", "arms", "back", "channel"}
    assert parse_query('"z x-' + "y" * 60 + '"').phrases == (("z", "x-" + "y" * 38),)  # cut at MAX_WORD_LENGTH
    assert parse_query('"z ' + "x" * 39 + '-y"').phrases == (("z", "x" * 39),)  # never ending with a hyphen
    assert parse_query('"a- -b"').phrases == (("a", "b"),)
    assert parse_query('"a back-channel"').phrases == (("a", "back", "channel"),)  # after stop words only: parts
    assert parse_query('"of the up-to-date arms-control"').phrases == (
        ("of", "the", "up", "to", "date", "arms-control"),
    )


def test_a_phrase_or_an_exclusion_of_stop_words_only_is_left_out():
    """PostgreSQL drops them and asks for nothing; FTS5 would look for "of the" in nearly every article."""
    query = parse_query('grid "of the" -"in a" -the')
    assert query.words == ("grid",)
    assert query.phrases == () and query.excluded == ()
    assert query.dropped == ("of", "the", "in", "a")
    assert parse_query('"of the"').is_empty


def test_curly_quotes_and_the_minus_sign_character_work_like_the_plain_ones():
    query = parse_query("\u201cfront line\u201d \u2212ceasefire")
    assert query.phrases == (("front", "line"),)
    assert query.excluded == (("ceasefire",),)


def test_an_unbalanced_quote_is_ignored():
    query = parse_query('"front line')
    assert query.words == ("front", "line")
    assert query.phrases == ()


def test_operators_and_punctuation_are_never_passed_on():
    query = parse_query("oil* AND gas: | & title:war ^2 NEAR(a b) \\ ' ; -- DROP TABLE")
    for word in query.words + tuple(w for phrase in query.phrases for w in phrase):
        assert word.replace("-", "").isalnum()


def test_non_latin_scripts_are_words():
    query = parse_query("تحریم‌ها Кабул سانکشن")  # noqa: RUF001 - the script is the point
    assert "кабул" in query.words
    assert any("تحریم" in word for word in query.words + tuple(w for p in query.phrases for w in p))


def test_nul_bytes_control_characters_and_emoji_leave_nothing_behind():
    assert parse_query("\x00\x01\x1f😀🛢️").is_empty
    assert parse_query("oil\x00gas").words == ("oil", "gas")


def test_long_input_is_cut_to_a_sensible_query():
    query = parse_query("word " * 5000)
    assert len(query.text) <= MAX_QUERY_LENGTH
    assert parse_query(" ".join(f"w{n}" for n in range(50))).words == tuple(f"w{n}" for n in range(MAX_TERMS))


def test_exclusions_alone_are_an_empty_query():
    query = parse_query("-oil -gas")
    assert query.is_empty
    assert query.only_exclusions
    assert query.search_query() is None


def test_the_query_object_is_built_from_wagtails_query_classes():
    built = parse_query('oil "front line" -gas').search_query()
    assert isinstance(built, And)
    kinds = [type(part) for part in built.subqueries]
    assert kinds == [PlainText, Phrase, Not]


@pytest.mark.parametrize("raw", [None, "", "   ", 42, b"bytes"])
def test_anything_at_all_parses(raw):
    parse_query(raw)
