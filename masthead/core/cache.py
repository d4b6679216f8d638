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

A small entry whose file has not changed for `SETTLED_SECONDS` is also kept
in the process, beside the file's identity (inode, modification time, size):
reading it again costs one `stat` instead of opening, reading and
decompressing the file (about 2 µs against 8; a signed-in reader's page reads
two such entries). Every write makes a new file (Django writes a temporary one
and renames it) or, for `touch`, gives it a new modification time; a kept
entry was last modified seconds before it was kept, so no later write can
leave its identity unchanged.
"""

from __future__ import annotations

import io
import os
import pickle
import time
import zlib

from django.core.cache.backends.filebased import FileBasedCache

CULL_CHECK_SECONDS = 10.0
SETTLED_SECONDS = 2.0  # a file unchanged for this long may be kept in the process (see above)
KEPT_FILE_BYTES = 4096  # sessions and tokens; pages and larger values are read from their files
KEPT_FILES = 4096


def _signature(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _read(path: str) -> tuple[bytes, os.stat_result]:
    """The file's bytes, and its status as of that read."""
    fd = os.open(path, os.O_RDONLY)
    try:
        stat = os.fstat(fd)
        chunks = []
        while chunk := os.read(fd, 262_144):
            chunks.append(chunk)
        return b"".join(chunks), stat
    finally:
        os.close(fd)


class FileCache(FileBasedCache):
    _last_cull_check = 0.0
    _FILE_NAMES_KEPT = 10_000

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._file_names: dict[tuple[str, int | None], str] = {}
        # file name -> (signature, expiry, the pickled value): settled small entries (see the module's doc).
        self._settled: dict[str, tuple[tuple[int, int, int, int], float | None, bytes]] = {}

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

    def _contents(self, fname: str) -> tuple[float | None, bytes]:
        """(expiry, the pickled value) of the file: from the process's copy when the file is the one copied."""
        kept = self._settled.get(fname)
        if kept is not None:
            if _signature(os.stat(fname)) == kept[0]:
                return kept[1], kept[2]
            self._settled.pop(fname, None)
        raw, stat = _read(fname)
        buffer = io.BytesIO(raw)
        try:
            expiry = pickle.load(buffer)  # noqa: S301  (our own files, in a 0700 directory, as Django reads them)
        except EOFError:
            return 0, b""  # an empty file is expired
        value = zlib.decompress(buffer.read())
        settled = time.time_ns() - stat.st_mtime_ns > SETTLED_SECONDS * 1e9
        if settled and stat.st_size <= KEPT_FILE_BYTES and len(raw) == stat.st_size:
            if len(self._settled) >= KEPT_FILES:
                self._settled.clear()
            self._settled[fname] = (_signature(stat), expiry, value)
        return expiry, value

    def _entry(self, fname: str) -> tuple[bool, bytes]:
        """(still valid, the pickled value); an expired entry is deleted, as Django does."""
        expiry, value = self._contents(fname)
        if expiry is not None and expiry < time.time():
            self._settled.pop(fname, None)
            self._delete(fname)  # type: ignore[attr-defined]  # private in the stubs
            return False, b""
        return True, value

    def get(self, key, default=None, version=None):
        fname = self._key_to_file(key, version)
        try:
            valid, value = self._entry(fname)
        except FileNotFoundError:
            return default
        return pickle.loads(value) if valid else default  # noqa: S301

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
