"""PostgreSQL: an index of each entry's neighbouring word pairs, so a phrase is found without reading every body.

A GIN index on a text vector holds no positions: for a phrase, it gives every
entry having the phrase's words, and each of those entries' vectors must be
read (out of line) to look for the phrase. For a phrase of common words that
is tens of thousands of entries, 1-2 s at 100,000 articles.

`masthead_word_pairs(vector)` is the set of the vector's neighbouring lexemes,
each pair as one token (the first 16 hex digits, 64 bits, of the MD5 of "first second"):
the lexemes at positions p and p + 1. An expression GIN index on
`masthead_word_pairs(title || body)`, kept by PostgreSQL itself on every write
of an entry, then finds the entries with all the neighbouring pairs of a
phrase (`masthead_phrase_pairs`, the same pairs of the phrase's own vector).
Every entry having the phrase has those pairs, so the backend checks the phrase
itself on those few entries only (`backends/postgres.py`, `_phrase_found`).

A phrase with a stop word between two words ("rule of law") has no
neighbouring pair there (PostgreSQL's phrase then allows any word between);
only its other pairs are used, or none. Other databases: nothing.
"""

from django.db import connection, migrations

ENTRY = "wagtailsearch_indexentry"
INDEX = "masthead_search_word_pairs_gin"

PAIRS_FUNCTION = """
CREATE OR REPLACE FUNCTION masthead_word_pairs(vector tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  WITH words AS (
    SELECT lexeme, position FROM unnest(vector) AS u(lexeme, positions, weights), unnest(positions) AS position
  )
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT left(md5(a.lexeme || ' ' || b.lexeme), 16))), ''::tsvector)
  FROM words a JOIN words b ON b.position = a.position + 1
$$
"""

PHRASE_FUNCTION = """
CREATE OR REPLACE FUNCTION masthead_phrase_pairs(vector tsvector) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT string_agg(quote_literal(pair), ' & ')::tsquery FROM unnest(tsvector_to_array(masthead_word_pairs(vector))) AS pair
$$
"""


class Migration(migrations.Migration):
    dependencies = [("masthead_search", "0003_postgres_recent_entries_index")]

    if connection.vendor == "postgresql":
        operations = [
            migrations.RunSQL(
                sql=[
                    PAIRS_FUNCTION,
                    PHRASE_FUNCTION,
                    f"CREATE INDEX IF NOT EXISTS {INDEX} ON {ENTRY} USING GIN (masthead_word_pairs(title || body))",
                ],
                reverse_sql=[
                    f"DROP INDEX IF EXISTS {INDEX}",
                    "DROP FUNCTION IF EXISTS masthead_phrase_pairs(tsvector)",
                    "DROP FUNCTION IF EXISTS masthead_word_pairs(tsvector)",
                ],
            )
        ]
    else:
        operations = []
