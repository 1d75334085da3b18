"""Ledger databases for integration tests: a throwaway PostgreSQL cluster and fresh SQLite files.

The cluster comes from Debian's server binaries (initdb, pg_ctl), started in a
temp dir on a free port for the session; as root it runs as the `postgres`
user (the server refuses root). No Docker, no mock.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.broker import free_port


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise RuntimeError(f"{name} not found: install Debian's postgresql (scripts/setup.sh dev does as root)")
    return path


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """An admin URL of a fresh PostgreSQL cluster that lives for the session."""
    root = Path(tempfile.mkdtemp(prefix="patrol-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_server_user([_pg_bin("initdb"), "-D", str(data), "-U", "patrol", "--auth=trust", "-E", "UTF8", "--no-locale"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    subprocess.run(_as_server_user([_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "-t", "60", "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql://patrol@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new empty ledger database URL of `kind` (sqlite or postgresql)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    import psycopg

    admin = request.getfixturevalue("postgres_server")
    name = f"ledger_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    return admin.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on the embedded SQLite file and on PostgreSQL."""
    return fresh_database(request.param, request, tmp_path)
