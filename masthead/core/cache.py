"""The embedded default's shared cache: Django's file-based cache, with its per-request costs cut.

Every page a signed-in reader opens reads two entries (the session and the
kept-user token), so a read is on the hot path. Django's `FileBasedCache`
opens the file through Python's buffered I/O stack and checks each key against
memcached's rules (about 50 µs a read); this reads the file with one system
call and skips the memcached check (the file name is an md5 of the key, so
any key is a valid name): about 20 µs. The format on disk is Django's, so the
two can share a directory.

Django also lists the whole directory before every write to decide whether to
cull (`_cull`): with 20,000 entries that is milliseconds per write. Here the
count is taken at most every `CULL_CHECK_SECONDS` per process; between checks
the directory can outgrow MAX_ENTRIES by the writes of that interval.
"""

from __future__ import annotations

import io
import os
import pickle
import time
import zlib

from django.core.cache.backends.filebased import FileBasedCache

CULL_CHECK_SECONDS = 10.0


def _read(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 262_144):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class FileCache(FileBasedCache):
    _last_cull_check = 0.0
    _FILE_NAMES_KEPT = 10_000

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._file_names: dict[tuple[str, int | None], str] = {}

    def _key_to_file(self, key, version=None) -> str:
        """Django's file name for a key (md5 of the full key), remembered for the keys read most."""
        found = self._file_names.get((key, version))
        if found is None:
            found = super()._key_to_file(key, version)  # type: ignore[misc]
            if len(self._file_names) >= self._FILE_NAMES_KEPT:
                self._file_names.clear()
            self._file_names[(key, version)] = found
        return found

    def validate_key(self, key: str) -> None:
        """Any key is fine: it becomes a file name through md5 (memcached's length and character rules do not apply)."""

    def _entry(self, fname: str) -> tuple[bool, bytes]:
        """(still valid, the pickled value's compressed bytes); an expired entry is deleted, as Django does."""
        buffer = io.BytesIO(_read(fname))
        try:
            expiry = pickle.load(buffer)  # noqa: S301  (our own files, in a 0700 directory, as Django reads them)
        except EOFError:
            expiry = 0  # an empty file is expired
        if expiry is not None and expiry < time.time():
            self._delete(fname)  # type: ignore[attr-defined]  # private in the stubs
            return False, b""
        return True, buffer.read()

    def get(self, key, default=None, version=None):
        fname = self._key_to_file(key, version)
        try:
            valid, data = self._entry(fname)
        except FileNotFoundError:
            return default
        return pickle.loads(zlib.decompress(data)) if valid else default  # noqa: S301

    def has_key(self, key, version=None) -> bool:
        try:
            return self._entry(self._key_to_file(key, version))[0]  # type: ignore[attr-defined]
        except FileNotFoundError:
            return False

    def _cull(self) -> None:
        now = time.monotonic()
        if now - self._last_cull_check < CULL_CHECK_SECONDS:
            return
        self._last_cull_check = now
        super()._cull()  # type: ignore[misc]
