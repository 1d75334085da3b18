"""One thin database handle for SQLite (embedded default) and PostgreSQL (production).

Every dialect difference lives here: the URL, the placeholder style, how a
transaction starts and how rows come back. The SQL elsewhere is the portable
subset both speak (`INSERT ... ON CONFLICT ... DO UPDATE`, TEXT times in UTC
ISO 8601, DOUBLE PRECISION, BIGINT).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from core.errors import PatrolError


class DatabaseError(PatrolError):
    """The ledger database cannot be opened, migrated or written."""


class RowRefused(DatabaseError):
    """The database refused one statement's values (a constraint, a number out of its column's range, a NUL in
    PostgreSQL text): the record that brought them is at fault, not the database, which still works."""


def sqlite_path(url: str) -> Path:
    """`sqlite:///relative/file` or `sqlite:////absolute/file` -> the file's path."""
    rest = url[len("sqlite://") :]
    if not rest.startswith("/"):
        raise DatabaseError(f"PATROL_DATABASE_URL: expected sqlite:///FILE, got {redacted(url, url)!r}")
    return Path(rest[1:])


def url_secrets(url: str) -> set[str]:
    """The passwords a database URL holds (its userinfo's, a `password=` query parameter's), as written and decoded."""
    try:
        parts = urllib.parse.urlsplit(url)
        found = {parts.password or ""} | {v for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k.lower() == "password"}
    except ValueError:  # no URL urllib can split (a bracket left open): every character after the scheme may be secret
        found = {url.split("://", 1)[-1]}
    for raw in re.findall(r"(?i)password=([^&]*)", url):
        found.add(raw)
    return {text for secret in found if secret for text in (secret, urllib.parse.unquote(secret))}


def redacted(text: str, url: str) -> str:
    """An error's text without the URL's passwords: libpq quotes the value it cannot read
    (`invalid percent-encoded token: "s3cr%zzet"`), and the console and `patrol ledger` log or print it."""
    for secret in sorted(url_secrets(url), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}(?=://)")


class Database:
    """A connection with `?` placeholders on both dialects and dict rows."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._depth = 0
        self._errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
        # sqlite3 binds an int past 64 bits with OverflowError, before any SQL runs
        self._refusals: tuple[type[BaseException], ...] = (sqlite3.IntegrityError, sqlite3.DataError, OverflowError)
        if url.startswith("sqlite:"):
            self.dialect = "sqlite"
            path = sqlite_path(url)
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._sqlite = sqlite3.connect(str(path), isolation_level=None, timeout=30.0, check_same_thread=False)
            except sqlite3.Error as exc:
                raise DatabaseError(f"cannot open SQLite database {path}: {exc}") from exc
            self._sqlite.row_factory = sqlite3.Row
            self._sqlite.execute("PRAGMA journal_mode=WAL")
            self._sqlite.execute("PRAGMA busy_timeout=30000")
            self._sqlite.execute("PRAGMA foreign_keys=ON")
        elif url.startswith(("postgresql:", "postgres:")):
            self.dialect = "postgresql"
            import psycopg
            from psycopg.rows import dict_row

            self._errors = (psycopg.Error,)
            self._refusals = (psycopg.IntegrityError, psycopg.DataError, OverflowError)
            try:
                self._pg = psycopg.connect(url, autocommit=True, row_factory=dict_row)
            except psycopg.Error as exc:
                raise DatabaseError(f"cannot connect to PostgreSQL: {redacted(str(exc), url)}") from None  # the cause quotes it too
        else:
            # a value without `scheme://` (a password pasted alone) was printed whole as its "scheme"
            scheme = _SCHEME.match(url)
            raise DatabaseError(f"PATROL_DATABASE_URL: unknown scheme {scheme.group(0)!r} (use sqlite:/// or postgresql://)" if scheme else
                                "PATROL_DATABASE_URL: no scheme:// (use sqlite:///FILE or postgresql://USER@HOST/DB)")

    def _sql(self, sql: str) -> str:
        return sql if self.dialect == "sqlite" else sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        try:
            if self.dialect == "sqlite":
                return int(self._sqlite.execute(sql, tuple(params)).rowcount)
            with self._pg.cursor() as cur:
                cur.execute(self._sql(sql), tuple(params))
                return int(cur.rowcount)
        except self._refusals as exc:
            raise RowRefused(f"{exc} in: {sql.strip()[:200]}") from exc
        except self._errors as exc:
            raise DatabaseError(f"{exc} in: {sql.strip()[:200]}") from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            if self.dialect == "sqlite":
                return [dict(row) for row in self._sqlite.execute(sql, tuple(params)).fetchall()]
            with self._pg.cursor() as cur:
                cur.execute(self._sql(sql), tuple(params))
                return [dict(row) for row in cur.fetchall()]
        except self._refusals as exc:
            raise RowRefused(f"{exc} in: {sql.strip()[:200]}") from exc
        except self._errors as exc:
            raise DatabaseError(f"{exc} in: {sql.strip()[:200]}") from exc

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """All or nothing; nested calls join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            if self.dialect == "sqlite":
                self._sqlite.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    self._sqlite.execute("ROLLBACK")
                    raise
                self._sqlite.execute("COMMIT")
            else:
                with self._pg.transaction():
                    yield self
        finally:
            self._depth = 0

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[Database]:
        """Inside a transaction: when the block raises, undo only what it wrote; the transaction goes on.

        One record the database refuses must not cost its batch's others, nor
        stop a feeder that would meet the same record again at its restart.
        """
        if not self._depth:
            raise DatabaseError("a savepoint needs an open transaction")
        name = f"patrol_sp{self._depth}"
        self.execute(f"SAVEPOINT {name}")
        self._depth += 1  # transactions opened inside join this one
        try:
            yield self
        except BaseException:
            self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.execute(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            self.execute(f"RELEASE SAVEPOINT {name}")
        finally:
            self._depth -= 1

    def lock_schema(self) -> None:
        """Inside a transaction: one migrator at a time (SQLite's BEGIN IMMEDIATE already is)."""
        if self.dialect == "postgresql":
            self.execute("SELECT pg_advisory_xact_lock(7301160)")

    def close(self) -> None:
        if self.dialect == "sqlite":
            self._sqlite.close()
        else:
            self._pg.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
