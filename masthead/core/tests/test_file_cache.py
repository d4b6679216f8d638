"""The embedded default's file cache (masthead.core.cache): Django's behaviour and format, cheaper reads and culls."""

import os
import time

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from masthead.core import cache as file_cache
from masthead.core.cache import FileCache


@pytest.fixture
def caches(tmp_path):
    params = {"OPTIONS": {"MAX_ENTRIES": 30, "CULL_FREQUENCY": 3}}
    return FileCache(str(tmp_path), params), FileBasedCache(str(tmp_path), params)


def test_it_reads_what_djangos_file_cache_wrote_and_the_other_way_round(caches):
    ours, djangos = caches
    djangos.set("session", {"_auth_user_id": "7", "data": "x" * 100_000}, 60)
    assert ours.get("session") == {"_auth_user_id": "7", "data": "x" * 100_000}
    ours.set("token", "abc123", None)
    assert djangos.get("token") == "abc123"
    assert ours.has_key("token") and not ours.has_key("missing")
    assert ours.get("missing", "default") == "default"


def test_an_expired_entry_is_gone_and_its_file_deleted(caches, monkeypatch):
    ours, _ = caches
    ours.set("short", "value", 10)
    path = ours._key_to_file("short")
    assert ours.get("short") == "value"
    later = time.time() + 11
    monkeypatch.setattr(file_cache.time, "time", lambda: later)
    assert ours.get("short") is None
    assert not os.path.exists(path)
    assert ours.add("short", "again", 10)  # the expired entry does not block a new one


def test_add_does_not_replace_a_live_entry(caches):
    ours, _ = caches
    assert ours.add("token", "first", None)
    assert not ours.add("token", "second", None)
    assert ours.get("token") == "first"


def test_keys_memcached_would_warn_about_are_stored(caches):
    ours, _ = caches
    key = "masthead.page.v1:" + "ü " * 200  # over 250 characters, with spaces
    ours.set(key, "page", 60)
    assert ours.get(key) == "page"


def test_the_directory_is_culled_but_at_most_once_per_interval(caches, monkeypatch):
    ours, _ = caches
    clock = [1000.0]
    monkeypatch.setattr(file_cache.time, "monotonic", lambda: clock[0])
    for i in range(60):
        ours.set(f"key-{i}", i, 60)
    # One check at the first write (nothing to cull); the next is only due after the interval.
    assert len(ours._list_cache_files()) == 60
    clock[0] += file_cache.CULL_CHECK_SECONDS
    ours.set("one-more", 1, 60)
    assert len(ours._list_cache_files()) == 60 - 60 // 3 + 1


def _settle(path: str) -> None:
    """Make a cache file look written minutes ago, as a session or token usually is."""
    past = time.time_ns() - 300 * 10**9
    os.utime(path, ns=(past, past))


@pytest.fixture
def reads(monkeypatch):
    """How many times a cache file was opened and read."""
    counted = []
    real_read = file_cache._read

    def counting_read(path):
        counted.append(path)
        return real_read(path)

    monkeypatch.setattr(file_cache, "_read", counting_read)
    return counted


def test_a_settled_small_entry_is_read_again_from_the_process_copy(caches, reads):
    ours, _ = caches
    ours.set("session", {"_auth_user_id": "7"}, 600)
    _settle(ours._key_to_file("session"))
    assert ours.get("session") == {"_auth_user_id": "7"}
    assert ours.get("session") == {"_auth_user_id": "7"}
    assert len(reads) == 1
    first, second = ours.get("session"), ours.get("session")
    first["_auth_user_id"] = "8"  # a request changing its copy changes nobody else's
    assert second == {"_auth_user_id": "7"} and ours.get("session") == {"_auth_user_id": "7"}


def test_an_entry_written_moments_ago_is_read_from_its_file_each_time(caches, reads):
    ours, _ = caches
    ours.set("token", "abc123", None)
    assert ours.get("token") == ours.get("token") == "abc123"
    assert len(reads) == 2


def test_a_kept_entry_rewritten_by_another_process_is_read_afresh(caches, reads):
    """Same size, same second: the file is a new one (Django writes a temporary file and renames it)."""
    ours, djangos = caches
    ours.set("token", "aaaaaa", None)
    _settle(ours._key_to_file("token"))
    assert ours.get("token") == "aaaaaa"
    djangos.set("token", "bbbbbb", None)
    assert ours.get("token") == "bbbbbb"
    djangos.delete("token")
    assert ours.get("token") is None


def test_a_kept_entry_touched_by_another_process_keeps_its_new_expiry(caches, monkeypatch):
    """`touch` rewrites the file in place: its new modification time tells the copy is old."""
    ours, djangos = caches
    ours.set("session", {"id": 1}, 10)
    _settle(ours._key_to_file("session"))
    assert ours.get("session") == {"id": 1}
    assert djangos.touch("session", 1000)
    later = time.time() + 11
    monkeypatch.setattr(file_cache.time, "time", lambda: later)
    assert ours.get("session") == {"id": 1}


def test_a_kept_entry_still_expires(caches, monkeypatch):
    ours, _ = caches
    ours.set("short", "value", 10)
    _settle(ours._key_to_file("short"))
    assert ours.get("short") == "value"
    later = time.time() + 11
    monkeypatch.setattr(file_cache.time, "time", lambda: later)
    assert ours.get("short") is None
    assert not os.path.exists(ours._key_to_file("short"))
