import pytest
from django.core.exceptions import ImproperlyConfigured

from masthead.settings.env import env_bool, env_int, env_list, env_str


def test_a_boolean_setting_accepts_the_usual_spellings(monkeypatch):
    for raw, expected in [("true", True), ("1", True), ("YES", True), ("off", False), ("0", False), ("", False)]:
        monkeypatch.setenv("MASTHEAD_FLAG", raw)
        assert env_bool("MASTHEAD_FLAG", default=not expected) is expected


def test_a_misspelt_boolean_setting_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("MASTHEAD_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="MASTHEAD_FLAG"):
        env_bool("MASTHEAD_FLAG", default=False)


def test_a_non_numeric_number_setting_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("MASTHEAD_COUNT", "three")
    with pytest.raises(ImproperlyConfigured, match="MASTHEAD_COUNT"):
        env_int("MASTHEAD_COUNT", default=3)


def test_a_missing_required_setting_names_the_variable(monkeypatch):
    monkeypatch.delenv("MASTHEAD_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="MASTHEAD_REQUIRED"):
        env_str("MASTHEAD_REQUIRED")


def test_a_list_setting_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("MASTHEAD_HOSTS", " a.example , ,b.example")
    assert env_list("MASTHEAD_HOSTS", default=[]) == ["a.example", "b.example"]
    monkeypatch.delenv("MASTHEAD_HOSTS")
    assert env_list("MASTHEAD_HOSTS", default=["x"]) == ["x"]


def test_a_sqlite_database_is_read_through_a_memory_map(monkeypatch, tmp_path):
    """Each page of the file is read from the mapping, not copied in by a system call (the search index is 2 GB)."""
    import sqlite3

    from masthead.settings.base import _database_from_env

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'mapped.sqlite3'}")
    config = _database_from_env()
    connection = sqlite3.connect(config["NAME"])
    try:
        connection.executescript(config["OPTIONS"]["init_command"])
        assert connection.execute("PRAGMA mmap_size").fetchone()[0] >= 1 << 30
    finally:
        connection.close()
