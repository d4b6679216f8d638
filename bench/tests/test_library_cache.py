"""A cached library is reused across new migrations and generated again when one it had applied changed."""

from __future__ import annotations

from bench import data


def test_the_current_migrations_are_listed_with_their_digests():
    digests = data.migration_digests()
    assert "masthead/search/migrations/0004_postgres_word_pairs_index.py" in digests
    assert all(name.startswith("masthead/") and "/migrations/" in name for name in digests)
    assert all(len(d) == 16 for d in digests.values())


def test_a_migration_added_since_leaves_the_library_usable():
    applied = {"masthead/a/migrations/0001_x.py": "aaaa"}
    current = {**applied, "masthead/a/migrations/0002_y.py": "bbbb"}
    assert data.stale_migrations(applied, current) == []


def test_an_edited_or_removed_migration_makes_the_library_stale():
    applied = {"masthead/a/migrations/0001_x.py": "aaaa", "masthead/a/migrations/0002_y.py": "bbbb"}
    current = {"masthead/a/migrations/0001_x.py": "cccc"}
    assert data.stale_migrations(applied, current) == [
        "masthead/a/migrations/0001_x.py",
        "masthead/a/migrations/0002_y.py",
    ]


def test_the_key_follows_the_demo_code_and_not_the_migrations(tmp_path, monkeypatch):
    (tmp_path / "masthead" / "demo").mkdir(parents=True)
    (tmp_path / "masthead" / "a" / "migrations").mkdir(parents=True)
    demo = tmp_path / "masthead" / "demo" / "library.py"
    migration = tmp_path / "masthead" / "a" / "migrations" / "0001_x.py"
    demo.write_text("ARTICLES = 1\n")
    migration.write_text("operations = []\n")
    monkeypatch.setattr(data, "ROOT", tmp_path)
    params = data.Params(10, 10)
    key = data.cache_key("sqlite", params)
    migration.write_text("operations = ['changed']\n")
    assert data.cache_key("sqlite", params) == key
    assert "masthead/a/migrations/0001_x.py" in data.migration_digests()
    demo.write_text("ARTICLES = 2\n")
    assert data.cache_key("sqlite", params) != key
    assert data.cache_key("postgres", params) != data.cache_key("sqlite", params)
