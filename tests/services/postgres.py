"""A private PostgreSQL cluster for the test session, on loopback with trust auth.

``initdb`` and ``postgres`` refuse to run as root, so as root they run as the ``postgres``
user through ``runuser``; the data folder lives in a 0755 temporary folder that user owns.
``pg_ctl start`` daemonises and keeps the stdio it inherited, so its output goes to a log
file, never to a pipe (see /work/shared/pitfalls.md §8). Use with
``pytest_plugins = ["tests.services.postgres"]`` or by importing the fixtures.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.services.base import free_port, require

PG_USER = "postgres"
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class PostgresCluster:
    root: Path
    bindir: Path
    port: int
    as_user: tuple[str, ...]

    def url(self, database: str = "cme") -> str:
        return f"postgresql+psycopg2://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def log_text(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin holding initdb, else initdb's folder on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _run_as(cluster_user: tuple[str, ...], args: list[str], log: Path, timeout: float) -> None:
    with log.open("ab") as out:
        completed = subprocess.run(
            [*cluster_user, *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if completed.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{Path(args[0]).name} failed ({completed.returncode}):\n{tail}")


def _prepare_root(as_root: bool) -> Path:
    root = Path(tempfile.mkdtemp(prefix="cme-pg-"))
    root.chmod(0o755)
    (root / "sock").mkdir(mode=0o755)
    if as_root:
        shutil.chown(root, user=PG_USER, group=None)
        shutil.chown(root / "sock", user=PG_USER, group=None)
    return root


def start_cluster() -> PostgresCluster:
    """initdb + pg_ctl start on a free loopback port; raises RuntimeError on failure."""
    bindir = find_bindir()
    assert bindir is not None
    as_root = os.geteuid() == 0
    as_user: tuple[str, ...] = ("runuser", "-u", PG_USER, "--") if as_root else ()
    root = _prepare_root(as_root)
    setup_log = root / "setup.log"
    _run_as(
        as_user,
        [
            str(bindir / "initdb"),
            "-D",
            str(root / "data"),
            "-U",
            PG_USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
        setup_log,
        timeout=120,
    )
    last_error: Exception | None = None
    for _ in range(3):  # the free port may be taken between probe and bind
        port = free_port()
        options = (
            f"-p {port} -k {root / 'sock'} -h 127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        try:
            _run_as(
                as_user,
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(root / "data"),
                    "-l",
                    str(root / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(START_TIMEOUT_S),
                    "start",
                ],
                setup_log,
                timeout=START_TIMEOUT_S + 10,
            )
            return PostgresCluster(root=root, bindir=bindir, port=port, as_user=as_user)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            last_error = exc
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start: {last_error}")


def stop_cluster(cluster: PostgresCluster) -> None:
    try:
        _run_as(
            cluster.as_user,
            [
                str(cluster.bindir / "pg_ctl"),
                "-D",
                str(cluster.root / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            cluster.root / "setup.log",
            timeout=60,
        )
    finally:
        shutil.rmtree(cluster.root, ignore_errors=True)


def admin_execute(cluster: PostgresCluster, sql: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE) on the admin db."""
    import psycopg2

    connection = psycopg2.connect(
        host="127.0.0.1", port=cluster.port, user=PG_USER, dbname="postgres", connect_timeout=10
    )
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """The session's private cluster (skips locally, fails in CI, when PostgreSQL is absent)."""
    bindir = find_bindir()
    require(bindir is not None, "PostgreSQL server binaries not found: install package postgresql")
    if os.geteuid() == 0:
        require(shutil.which("runuser") is not None, "runuser not found (util-linux)")
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            require(False, "no 'postgres' system user to run the server as (package postgresql)")
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture(scope="session")
def pg_url(pg_cluster: PostgresCluster) -> str:
    """A SQLAlchemy URL to database ``cme`` in the session's private cluster."""
    admin_execute(pg_cluster, "CREATE DATABASE cme")
    return pg_cluster.url("cme")


@pytest.fixture()
def pg_database_url(pg_cluster: PostgresCluster) -> Iterator[str]:
    """A URL to a fresh, empty database of its own, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    # FILE_COPY: much quicker than the default WAL_LOG for a small, fsync-less cluster.
    admin_execute(pg_cluster, f"CREATE DATABASE {name} STRATEGY FILE_COPY")
    try:
        yield pg_cluster.url(name)
    finally:
        admin_execute(pg_cluster, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture()
def pg_engine(pg_database_url: str) -> Iterator[object]:
    """An engine (models.db.make_engine) on a fresh, empty database of its own."""
    from models.db import make_engine

    engine = make_engine(pg_database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on a real SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'cases.db'}"
    return str(request.getfixturevalue("pg_database_url"))


@pytest.fixture(scope="session")
def pg_migrated_url(pg_url: str) -> str:
    """The session database ``cme``, migrated once (see :func:`db_engine`)."""
    from models.db import make_engine, migrate

    engine = make_engine(pg_url)
    migrate(engine)
    engine.dispose()
    return pg_url


def _empty_tables(engine: Any) -> None:
    from models.tables import metadata

    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A migrated, empty database on both backends.

    PostgreSQL reuses the session's migrated database, emptied (ids restarted) before each
    test: creating and migrating a database per test costs seconds on a busy machine.
    """
    from models.db import make_engine, migrate

    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'db' / 'cases.db'}")
        migrate(engine)
    else:
        engine = make_engine(request.getfixturevalue("pg_migrated_url"))
        _empty_tables(engine)
    try:
        yield engine
    finally:
        engine.dispose()
