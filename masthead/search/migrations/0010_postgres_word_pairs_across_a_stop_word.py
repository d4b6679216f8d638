"""PostgreSQL: the word pairs of migration 0004 also pair each lexeme with the one two places on.

A stop word leaves its place empty in a text vector, and a phrase with one
between two words ("question of power") is `'question' <2> 'power'`: no
neighbouring pair, so every entry having both words had its body read to look
for the phrase, 440 ms at 100,000 articles for a phrase found 62 times. Each
pair two places apart is now a token of its own (the MD5 of "first <2> second",
never the same text as a neighbouring pair's "first second": a lexeme has no
space), and a phrase's pairs include them (`masthead_phrase_pairs`, unchanged,
reads them from the phrase's own vector). Every entry having the phrase still
has its pairs. A phrase of one such pair, `a <2> b`, is that pair exactly.

The index is built again: an expression index holds what the function gave
when each entry was written.
"""

from django.db import connection, migrations

ENTRY = "wagtailsearch_indexentry"
INDEX = "masthead_search_word_pairs_gin"

WORDS = "SELECT lexeme, position FROM unnest(vector) AS u(lexeme, positions, weights), unnest(positions) AS position"

PAIRS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION masthead_word_pairs(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  WITH words AS ({WORDS})
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT left(md5(pair), 16))), ''::tsvector) FROM (
    SELECT a.lexeme || ' ' || b.lexeme FROM words a JOIN words b ON b.position = a.position + 1
    UNION ALL
    SELECT a.lexeme || ' <2> ' || b.lexeme FROM words a JOIN words b ON b.position = a.position + 2
  ) AS pairs(pair)
$$
"""

# Migration 0004's
NEIGHBOURS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION masthead_word_pairs(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  WITH words AS ({WORDS})
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT left(md5(a.lexeme || ' ' || b.lexeme), 16))), ''::tsvector)
  FROM words a JOIN words b ON b.position = a.position + 1
$$
"""

CREATE_INDEX = f"CREATE INDEX IF NOT EXISTS {INDEX} ON {ENTRY} USING GIN (masthead_word_pairs(title || body))"


class Migration(migrations.Migration):
    dependencies = [("masthead_search", "0009_page_not_live_partial_index")]

    if connection.vendor == "postgresql":
        operations = [
            migrations.RunSQL(
                sql=[f"DROP INDEX IF EXISTS {INDEX}", PAIRS_FUNCTION, CREATE_INDEX],
                reverse_sql=[f"DROP INDEX IF EXISTS {INDEX}", NEIGHBOURS_FUNCTION, CREATE_INDEX],
            )
        ]
    else:
        operations = []
