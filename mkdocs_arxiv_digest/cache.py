"""What was fetched and summarized, kept on disk between builds (diskcache, JSON values)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import diskcache

_T = TypeVar("_T")
_L = TypeVar("_L")

UNKNOWN_SECONDS = 24 * 3600
"""How long an ID arXiv has no paper for is remembered as unknown."""

SQLITE_PAGES = 256
"""SQLite's own page cache, per connection: 1 MiB."""

BATCH = 64
BATCH_SECONDS = 2.0
"""Summaries and digests made on the render thread (the extractive summarizer's,
which costs milliseconds and is made again at will) are written in one
transaction per batch: at most `BATCH` of them, or what `BATCH_SECONDS` made,
and what is left when the build ends. A killed build loses at most that much
of them. Papers, and summaries from a model, are written as they arrive."""


def age(when: Any, now: float) -> float | None:
    """How many seconds before `now` `when`, a time read from the cache, was;
    `None` (never fresh) when it is not a finite number or is later than now: a
    clock set wrong once, or a planted row, must not keep a value fresh for ever."""
    if isinstance(when, bool) or not isinstance(when, (int, float)) or not math.isfinite(when):
        return None
    seconds = now - when
    return seconds if seconds >= 0 else None


def spread(base: str) -> float:
    """A factor from 0.75 to 1.25, fixed for each ID: papers cached together
    are checked again on days of their own, not all in the same build."""
    return 0.75 + (zlib.crc32(base.encode()) % 1000) / 2000


FOLDER_FORMAT = 1
FOLDER_FORMAT_KEY = "folder-format"
"""The version of what a cache folder holds besides its database, kept in the
row `FOLDER_FORMAT_KEY`. A folder without that row (a new one, or one last
opened by a version that did not write it) is checked once for what older
versions left there (see `Cache._update_folder`)."""


class _Packed(str):
    """A value stored as it is, not as JSON (see `_pack_digest`)."""


def _text(value: Any) -> str:
    # A plain `str`: diskcache pickles anything else, even a subclass.
    return str(value) if isinstance(value, _Packed) else json.dumps(value, ensure_ascii=False)


def _pack_digest(digest: dict[str, Any]) -> _Packed:
    """A digest as one line of JSON without its Markdown, then the Markdown as
    it is: a warm build reads every page's digest, and decoding tens of
    kilobytes of Markdown from a JSON string cost more than reading it."""
    rest = {name: value for name, value in digest.items() if name != "markdown"}
    return _Packed(json.dumps(rest, ensure_ascii=False) + "\n" + digest["markdown"])


def _unpack_digest(text: str) -> Any:
    head, newline, markdown = text.partition("\n")  # JSON's own text has no raw newline
    try:
        value = json.loads(head)
    except ValueError:
        return None
    if newline and isinstance(value, dict):
        value["markdown"] = markdown
    return value  # without a newline: a digest kept whole as JSON, as earlier builds did


class DamagedEntry(Exception):
    """A row of the cache that is not data this plugin wrote."""


class DataOnlyDisk(diskcache.Disk):  # type: ignore[misc]
    """diskcache's storage, refusing what is not data: it never unpickles a key
    or a value (a pickle runs code when read), and never reads a file outside
    the cache folder. This plugin writes only strings, which diskcache keeps
    as text, so a pickled row was planted by someone else."""

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise DamagedEntry("its key is a pickle")
        return super().get(key, raw)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == diskcache.core.MODE_PICKLE:
            raise DamagedEntry("its value is a pickle")
        if filename is not None and (os.path.isabs(filename) or ".." in Path(filename).parts):
            raise DamagedEntry(f"it points outside the cache folder ({filename!r})")
        return super().fetch(mode, filename, value, read)


_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_CORRUPT_WORDS = ("malformed", "not a database", "file is encrypted")


def _looks_corrupt(error: BaseException) -> bool:
    """What SQLite says of a damaged file, as opposed to a full disk, a lock,
    an I/O error or a read-only folder, which pass or are the machine's."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _CORRUPT_CODES
    return any(word in str(error) for word in _CORRUPT_WORDS)


def _integrity(directory: Path) -> str:
    """SQLite's own verdict on the cache database: `ok`, or what is wrong."""
    try:
        with contextlib.closing(_connect_read_only(directory / "cache.db")) as db:
            rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        return str(error) if _looks_corrupt(error) else "ok"
    return "ok" if rows == [("ok",)] else "; ".join(str(row[0]) for row in rows[:3])


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that writes nothing, not even SQLite's shared-memory file:
    `mode=ro` where the folder allows it, else `immutable=1`."""
    if not path.is_file():
        raise sqlite3.OperationalError(f"no database at {path}")
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.Error as error:
        db.close()
        if not isinstance(error, sqlite3.OperationalError):
            raise
        return sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True, check_same_thread=False)


_MANY = 500
"""Keys per statement of a bulk read: SQLite's oldest builds allow 999 variables."""
UNREAD = object()
"""What `get_many` gives for a row it could not read: its `get` says why."""


def _get_many(execute: Callable[..., Any], disk: diskcache.Disk, keys: list[str]) -> dict[str, Any]:
    """The values of those of `keys` that are stored and not expired, read in a
    statement per `_MANY` keys instead of one each."""
    found: dict[str, Any] = {}
    now = time.time()
    for start in range(0, len(keys), _MANY):
        chunk = keys[start : start + _MANY]
        rows = execute(
            "SELECT key, mode, filename, value FROM Cache WHERE raw = 1 AND key IN "
            f"({','.join('?' * len(chunk))}) AND (expire_time IS NULL OR expire_time > ?)",
            (*chunk, now),
        ).fetchall()
        for key, mode, filename, value in rows:
            try:
                found[key] = disk.fetch(mode, filename, value, False)
            except (DamagedEntry, OSError):
                found[key] = UNREAD
    return found


class ReadOnlyStore:
    """The rows of a diskcache folder this process cannot write to (restored
    by another user, a read-only mount, a full disk at start), read without
    writing anything there."""

    def __init__(self, directory: Path) -> None:
        self._db = _connect_read_only(directory / "cache.db")
        try:
            self._db.execute("SELECT count(*) FROM Cache").fetchone()
        except sqlite3.Error:
            self._db.close()
            raise
        self._disk = DataOnlyDisk(str(directory))
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            row = self._db.execute(
                "SELECT mode, filename, value, expire_time FROM Cache WHERE key = ? AND raw = 1", (key,)
            ).fetchone()
        if row is None or (row[3] is not None and row[3] < time.time()):
            return None
        return self._disk.fetch(row[0], row[1], row[2], False)

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        with self._lock:
            return _get_many(self._db.execute, self._disk, keys)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM Cache").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class _Store(diskcache.Cache):  # type: ignore[misc]
    """diskcache's cache, which closes the connection it opened when opening fails."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(*args, **kwargs)
        except BaseException:
            with contextlib.suppress(Exception):
                self.close()
            raise

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        # diskcache has no bulk read; its table is read as `ReadOnlyStore` reads it.
        return _get_many(self._sql, self._disk, keys)


Store: TypeAlias = Any
"""A `diskcache.Cache`, or a `ReadOnlyStore`."""


class Cache:
    """The records of a build's stages, JSON by key (each key spelled by the
    stage that owns it, see `stages`), and the finished digests.

    diskcache is thread- and process-safe (SQLite), so a worker thread may
    write while pages render, and `mkdocs serve` and a build may share it.
    What is read is not kept in memory: a build holds what its pages in
    flight need, not what the cache holds, and `mkdocs serve`'s rebuilds stay
    the same size (an unchanged page costs one indexed read for its digest).
    Only what could not be written is kept in memory, for the builds of this
    process.

    Nothing here raises. A database that SQLite itself finds damaged is set
    aside and a new one started; any other failure (a full disk, a
    read-only folder, a lock held too long) leaves the cache in place: what
    can be read is read, and new results are kept in memory for this build,
    with one warning.
    """

    def __init__(self, directory: Path, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.clock = clock
        """The time, in seconds since the epoch, that freshness is measured
        against (when a paper or a listing was last checked); tests pass their own."""
        self._memory: dict[str, Any] = {}
        """What could not be written (a read-only or full disk), by key."""
        self._pending: dict[str, Any] = {}
        """Writes waiting for their batch (see `BATCH`)."""
        self._pending_since = 0.0
        self._ahead: dict[str, Any] = {}
        """Values read ahead by `reading_ahead`, each taken once."""
        self._lock = threading.Lock()
        self.problems: list[str] = []
        """What went wrong with the cache, to be reported (and cleared) by the caller."""
        self.notes: list[str] = []
        """What the caller may mention in the log (and clear)."""
        self.writable = True
        """False once a write has failed: new results then live in memory only."""
        self._store: Store | None = None
        self._store = self._open_any()

    def _open_any(self) -> Store | None:
        """The cache for reading and writing; else for reading only; else none."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            return self._open(self.directory)
        except (sqlite3.DatabaseError, OSError) as error:
            if isinstance(error, sqlite3.DatabaseError) and _integrity(self.directory) != "ok":
                self._set_aside(error)
                with contextlib.suppress(sqlite3.DatabaseError, OSError):
                    return self._open(self.directory)
                return None
            self._cannot_write(error)
            try:
                return ReadOnlyStore(self.directory)
            except (sqlite3.DatabaseError, OSError):
                return None

    def _set_aside(self, error: Exception) -> None:
        aside = self.directory.with_name(f"{self.directory.name}.broken-{time.time_ns()}")
        try:
            self.directory.rename(aside)
        except OSError as failure:
            self._cannot_write(failure)
            return
        self.problems.append(
            f"the cache in {self.directory} is damaged ({error}); it was moved to {aside} and a new one started"
        )

    def _cannot_write(self, error: BaseException) -> None:
        """Go on with what can be read; say so once."""
        if not self.writable:
            return
        self.writable = False
        self.problems.append(
            f"the cache in {self.directory} cannot be written ({error}). This build reads what the cache "
            "holds and keeps new papers and summaries in memory only, so they will be fetched again next "
            "time; make 'cache_dir' writable (or free disk space) to keep them."
        )

    def _recover(self, error: sqlite3.DatabaseError, broken: Store) -> None:
        """Replace a cache found corrupt mid-build with a new one holding all
        this process has read or written, so nothing known is lost."""
        with self._lock:
            if self._store is not broken or broken is None:
                return  # another thread has done it
            broken.close()
            self._store = None
            self._set_aside(error)
            with contextlib.suppress(sqlite3.DatabaseError, OSError):
                self._store = self._open(self.directory)
        for key, value in list(self._memory.items()):
            if self._write(key, value):
                self._memory.pop(key, None)

    def _guarded(self, operation: Callable[[Store], _T], default: _T, write: bool = False) -> _T:
        """`operation` on the store; `default` when it fails for a reason other than damage."""
        store = self._store
        if store is None or (write and not self.writable):
            return default
        try:
            return operation(store)
        except DamagedEntry:
            raise
        except sqlite3.DatabaseError as error:
            if _looks_corrupt(error) and _integrity(self.directory) != "ok":
                self._recover(error, store)
                if self._store is not None and self._store is not store:
                    with contextlib.suppress(sqlite3.DatabaseError, OSError):
                        return operation(self._store)
                return default
            if write or isinstance(error, sqlite3.OperationalError):
                self._cannot_write(error) if write else self._unreadable(error)
            return default
        except OSError as error:  # a value file: a full disk, a missing or unreadable file
            if write:
                self._cannot_write(error)
            return default

    def _unreadable(self, error: BaseException) -> None:
        message = f"the cache in {self.directory} could not be read ({error}); entries it holds may be fetched again"
        if message not in self.problems:
            self.problems.append(message)

    def _update_folder(self, store: diskcache.Cache) -> None:
        """Bring a cache folder last opened by an older version up to date, once:
        versions before 0.2 kept compiled templates (marshalled code) in it,
        which are code, so they are removed unread. The `FOLDER_FORMAT_KEY` row
        then says it is done."""
        folder = self.directory / "templates"
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            if folder.exists():
                return  # tried again when next opened
            self.notes.append(f"removed compiled templates from {folder} unread: the cache now holds only data")
        with contextlib.suppress(sqlite3.Error, OSError):
            store.set(FOLDER_FORMAT_KEY, _text(FOLDER_FORMAT))

    def _open(self, directory: Path) -> diskcache.Cache:
        # Values are stored as JSON text: readable, and never unpickled. SQLite
        # reads through the system's file cache rather than a memory map and a
        # page cache of its own (diskcache's defaults: 64 MiB and 32 MiB),
        # which a build's memory would count as its own while sparing it
        # almost nothing: it reads each row about once. Nothing is evicted:
        # diskcache's default drops the rows stored longest ago once the folder
        # passes 1 GiB, which figures' images reach, and those rows are papers,
        # paid summaries and images that pages still show.
        store = _Store(
            str(directory),
            timeout=60,
            disk=DataOnlyDisk,
            sqlite_mmap_size=0,
            sqlite_cache_size=SQLITE_PAGES,
            eviction_policy="none",
        )
        try:
            # Reading once shows a corrupt database now, not mid-build.
            found = store.get(FOLDER_FORMAT_KEY)
        except DamagedEntry as damage:
            # A row someone planted, not a corrupt database: removed, as any read of one does.
            found = None
            self._damaged(FOLDER_FORMAT_KEY, damage)
            with contextlib.suppress(sqlite3.Error, OSError):
                store.delete(FOLDER_FORMAT_KEY)
        except BaseException:
            store.close()
            raise
        if found != _text(FOLDER_FORMAT):
            self._update_folder(store)
        return store

    def release_thread(self) -> None:
        """Close the connection the calling thread opened, if any: SQLite
        connections belong to their thread, and a worker's must not be left
        for the garbage collector when its work is done."""
        store = self._store
        if isinstance(store, diskcache.Cache):
            with contextlib.suppress(sqlite3.Error):
                store.close()

    def close(self) -> None:
        self.flush()
        if self._store is not None:
            with contextlib.suppress(sqlite3.Error, OSError):
                self._store.close()
        self._memory.clear()

    @contextlib.contextmanager
    def reading_ahead(self, keys: Iterable[str]) -> Iterator[None]:
        """Read `keys` at once, in a few statements rather than one each (a
        whole site's small records at the start of a build); within the block,
        the first read of each comes from what was read. Nothing in the block
        may write them."""
        wanted = list(dict.fromkeys(keys))
        found = self._guarded(lambda store: store.get_many(wanted), None) if wanted else None
        if found is not None:
            self._ahead = {key: found.get(key) for key in wanted if found.get(key) is not UNREAD}
        try:
            yield
        finally:
            self._ahead = {}

    def _fetch(self, key: str) -> Any:
        """The stored value of `key` as diskcache gives it; `None` for a damaged
        entry, which is reported and removed."""
        if self._ahead and (ahead := self._ahead.pop(key, UNREAD)) is not UNREAD:
            return ahead
        try:
            return self._guarded(lambda store: store.get(key), None)
        except DamagedEntry as damage:
            self._damaged(key, damage)
            self._guarded(lambda store: store.delete(key), None, write=True)
            return None

    def _damaged(self, key: str, damage: DamagedEntry) -> None:
        self.problems.append(
            f"the cache entry {key!r} in {self.directory} is not data ({damage}); it was ignored and removed. "
            "This plugin never writes such entries: check who can write to 'cache_dir'."
        )

    def _read(self, key: str) -> Any:
        """A stored JSON value; `None` when missing or unreadable."""
        text = self._fetch(key)
        if not isinstance(text, str):
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None

    def _write(self, key: str, value: Any, expire: float | None = None) -> bool:
        """Store `value` (bytes as they are, anything else as JSON); False when it could not be."""
        text = value if isinstance(value, bytes) else _text(value)
        return bool(self._guarded(lambda store: store.set(key, text, expire=expire), False, write=True))

    def _kept(self, key: str) -> Any:
        """A value waiting for its batch or that could not be written; `None` if none."""
        value = self._pending.get(key)
        return self._memory.get(key) if value is None else value

    def _get(self, key: str) -> Any:
        value = self._kept(key)
        return self._read(key) if value is None else value

    def _set(self, key: str, value: Any, batch: bool = False) -> None:
        if batch:
            with self._lock:
                if not self._pending:
                    self._pending_since = time.monotonic()
                self._pending[key] = value
                due = len(self._pending) >= BATCH or time.monotonic() - self._pending_since >= BATCH_SECONDS
            if due:
                self.flush()
            return
        if self._write(key, value):
            self._memory.pop(key, None)
        else:
            self._memory[key] = value

    def _texts(self, values: dict[str, Any]) -> dict[str, str]:
        """The values as JSON text; one that is not data is left out with a
        warning, and the others are written."""
        texts = {}
        for key, value in values.items():
            try:
                texts[key] = _text(value)
            except (TypeError, ValueError) as error:
                self.problems.append(f"the value for the cache entry {key!r} is not data ({error}); it was not kept")
        return texts

    def flush(self) -> None:
        """Write the batched values, in one transaction."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        texts = self._texts(pending)

        def write(store: Store) -> bool:
            assert isinstance(store, diskcache.Cache)
            with store.transact():
                for key, text in texts.items():
                    store.set(key, text)
            return True

        if not self._guarded(write, False, write=True):
            self._memory.update(pending)

    def __len__(self) -> int:
        return self._guarded(len, 0)

    # Records, by keys their owners spell (see `stages`)

    def record(self, key: str, load: Callable[[Any], _L | None]) -> _L | None:
        """A stored record, rebuilt from its JSON by `load`; `None` when missing."""
        data = self._get(key)
        return load(data) if data is not None else None

    def set_many(self, values: dict[str, Any], delete: Iterable[str] = (), expire: float | None = None) -> None:
        """Keep JSON values in one transaction (in their order), and drop the keys `delete`."""
        texts = self._texts(values)
        dropped = list(delete)

        def write(store: Store) -> bool:
            assert isinstance(store, diskcache.Cache)
            with store.transact():
                for key, text in texts.items():
                    store.set(key, text, expire=expire)
                for key in dropped:
                    store.delete(key)
            return True

        for key in dropped:
            self._memory.pop(key, None)
        if self._guarded(write, False, write=True):
            for key in values:
                self._memory.pop(key, None)
        else:
            self._memory.update(values)

    def delete(self, key: str) -> None:
        self._memory.pop(key, None)
        self._guarded(lambda store: store.delete(key), None, write=True)

    def has(self, key: str) -> bool:
        """Whether `key` holds a value, without reading it."""
        if key in self._memory:
            return bool(self._memory[key])
        return self._fetch(key) is not None

    def age(self, when: Any) -> float | None:
        """How many seconds ago `when`, a time this cache holds, was (see `age`)."""
        return age(when, self.clock())

    # Finished digests, by a hash of everything they were made of

    def digest(self, key: str) -> dict[str, Any] | None:
        value = self._kept(f"digest:{key}")
        if value is None:
            value = self._fetch(f"digest:{key}")
        value = _unpack_digest(value) if isinstance(value, str) else None
        if not isinstance(value, dict) or not isinstance(value.get("markdown"), str):
            return None
        keywords, bib = value.get("keywords", []), value.get("bib", "")
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords) or not isinstance(bib, str):
            return None  # not what this plugin writes: made again
        return value

    def store_digest(self, key: str, digest: dict[str, Any]) -> None:
        """Kept in the next batch: a digest lost to a killed build is made again."""
        self._set(f"digest:{key}", _pack_digest(digest), batch=True)

    # Raw bytes (figures' images): data kept as it came, never decoded here

    def get_bytes(self, key: str) -> bytes | None:
        """Bytes stored by `set_bytes`; `None` when missing (or not bytes)."""
        value = self._memory.get(key)
        if value is None:
            value = self._fetch(key)
        return value if isinstance(value, bytes) else None

    def set_bytes(self, key: str, value: bytes) -> None:
        """Keep `value` as it is: diskcache stores bytes raw (a blob, or a file
        in the cache folder when large), never pickled."""
        if self._write(key, bytes(value)):
            self._memory.pop(key, None)
        else:
            self._memory[key] = bytes(value)

    # Other JSON values (parsed front matter)

    def get_json(self, key: str) -> Any:
        return self._get(key)

    def set_json(self, key: str, value: Any, batch: bool = False) -> None:
        self._set(key, value, batch)
