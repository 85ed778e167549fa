"""The warehouse at the edge: engines, migrations, reference data, and bulk writes.

The same code serves `sqlite:///…` and `postgresql+psycopg://…`. Bulk rows take each
backend's fast path inside the caller's transaction (COPY on PostgreSQL, executemany on the
SQLite driver), chunk by chunk so that memory does not grow with the file, and a file's load
still commits or rolls back as one unit.

Writers that must not overlap (migrations, a file's load) take `exclusive`: a lock that
the operating system or the server releases when its process dies, even by SIGKILL, so a
crash never leaves the warehouse locked.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from alembic import command
from alembic.config import Config
from pgpq import ArrowToPostgresBinaryEncoder
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    Table,
    create_engine,
    event,
    func,
    select,
    text,
)

from etl import crash_points, reference
from etl.schema import (
    ref_constituency,
    ref_force,
    ref_offence_code,
    ref_offence_wording,
)

# alembic's package-resource form (importlib.resources): found in an installed plait too
MIGRATIONS = "etl:migrations"
COPY_CHUNK_ROWS = 50_000
# pg_advisory_lock(classid, objid): "plai" as the class, the schema's hash as the object, so
# warehouses in other schemas of the same database do not wait for each other
ADVISORY_CLASS = int.from_bytes(b"plai", "big")
LOCK_SUFFIX = ".lock"
QUIET_WAIT_SECONDS = 1.0
POLL_SECONDS = 0.05


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys on and a busy timeout for readers."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    url = engine.url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine, on_wait: Callable[[str], None] | None = None) -> None:
    """Bring the schema to head, then make sure the reference tables are filled.

    Under the writer lock (`exclusive`), so two processes starting on a new warehouse do not
    both create it; `on_wait` hears what a wait was for."""
    with exclusive(engine, "plait migrating the warehouse", on_wait):
        _migrate(engine)


def _migrate(engine: Engine) -> None:
    cfg = alembic_config(engine)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # a table rebuild drops the old table: SQLite wants foreign keys off
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("a migration left rows whose foreign keys do not hold")
        finally:
            if sqlite:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
    with engine.begin() as conn:
        load_reference(conn)


def load_reference(conn: Connection) -> None:
    """Fill the ref_ tables once; they are versioned with the code, not with the data."""
    if conn.execute(select(func.count()).select_from(ref_force)).scalar_one() > 0:
        return
    insert_frame(conn, ref_force, reference.forces())
    insert_frame(
        conn,
        ref_constituency,
        reference.constituencies()
        .filter(pl.col("force_id").is_not_null())
        .unique("constituency_code", keep="last", maintain_order=True),
    )
    insert_frame(conn, ref_offence_code, reference.ho_code_groups())
    wordings = reference.offence_taxonomy().unique("wording_key", keep="first", maintain_order=True)
    insert_frame(conn, ref_offence_wording, wordings)


def insert_frame(conn: Connection, table: Table, frame: pl.DataFrame) -> int:
    """Insert the frame's columns that the table has; the fast path is chosen per backend."""
    columns = [c.name for c in table.columns if c.name in frame.columns]
    if frame.height == 0:
        return 0
    frame = frame.select(columns)
    if conn.dialect.name == "postgresql":
        _copy_postgres(conn, table, frame)
    else:
        _executemany(conn, table, frame)
    return frame.height


def _executemany(conn: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Through the DBAPI cursor: SQLAlchemy's per-row processing costs more than the insert.

    Numbers that arrive as validated text (as COPY takes them) are parsed here, because
    SQLite's own text-to-real conversion is not always correctly rounded.
    """
    floats = {c.name for c in table.columns if isinstance(c.type, Float)}
    frame = (
        frame.with_columns(
            pl.col(c).cast(pl.Float64)
            for c, t in frame.schema.items()
            if c in floats and t == pl.String
        )
        .with_columns(
            pl.col(c).dt.to_string("%Y-%m-%d")
            for c, dtype in frame.schema.items()
            if dtype == pl.Date
        )
        .with_columns(
            pl.col(c).cast(pl.Int8) for c, dtype in frame.schema.items() if dtype == pl.Boolean
        )
    )
    names = ", ".join(f'"{c}"' for c in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for chunk in _chunks(frame):
            cursor.executemany(sql, chunk.iter_rows())
            crash_points.reached("chunk")
    finally:
        cursor.close()


def _postgres_dtypes(table: Table) -> dict[str, pl.DataType]:
    """The Arrow types binary COPY needs: each must match the column's PostgreSQL type."""
    out: dict[str, pl.DataType] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, Boolean):
            out[column.name] = pl.Boolean()
        elif isinstance(kind, Integer):
            out[column.name] = pl.Int32()
        elif isinstance(kind, Float):
            out[column.name] = pl.Float64()
        elif isinstance(kind, DateTime):
            out[column.name] = pl.Datetime("us", "UTC") if kind.timezone else pl.Datetime("us")
        elif isinstance(kind, Date):
            out[column.name] = pl.Date()
        else:
            out[column.name] = pl.String()
    return out


def _copy_postgres(conn: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Binary COPY … FROM STDIN on the transaction's connection: PostgreSQL's fastest way in.

    pgpq encodes Arrow batches in PostgreSQL's binary format, so the server parses no text
    (a national year of street rows loads about a quarter faster than through CSV). One
    COPY takes the whole frame, converted a chunk at a time: the Arrow copy stays small.
    """
    dtypes = _postgres_dtypes(table)
    casts = {c: dtypes[c] for c in frame.columns}
    names = ", ".join(f'"{c}"' for c in frame.columns)
    sql = f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT binary)'
    encoder: ArrowToPostgresBinaryEncoder | None = None
    dbapi = conn.connection.dbapi_connection
    with dbapi.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        for chunk in _chunks(frame):
            arrow = chunk.cast(casts).to_arrow(  # type: ignore[arg-type]
                compat_level=pl.CompatLevel.oldest()
            )
            if encoder is None:
                encoder = ArrowToPostgresBinaryEncoder(arrow.schema)
                copy.write(encoder.write_header())
            for batch in arrow.to_batches():
                copy.write(encoder.write_batch(batch))
            crash_points.reached("chunk")
        if encoder is not None:
            copy.write(encoder.finish())


def _chunks(frame: pl.DataFrame) -> Iterator[pl.DataFrame]:
    for offset in range(0, frame.height, COPY_CHUNK_ROWS):
        yield frame.slice(offset, COPY_CHUNK_ROWS)


@contextmanager
def exclusive(
    engine: Engine, doing: str, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the warehouse's writer lock while `doing` (said to whoever waits for it).

    PostgreSQL: a session advisory lock on a connection of its own (the server drops it
    with the connection). SQLite: `flock` on `<database>.lock` beside the file (the kernel
    drops it with the process); the holder writes what it is doing into the file. A second
    process waits as long as the first needs; when that is more than a moment, `on_wait`
    is told what it waits for, then how long it waited. Not re-entrant: a holder that asks
    again (a second `flock` descriptor, a second connection) waits for itself for ever.
    """
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, doing, on_wait):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with _file_lock(Path(database + LOCK_SUFFIX), doing, on_wait):
        yield


def _holder(doing: str) -> str:
    since = dt.datetime.now(dt.UTC).strftime("%H:%M:%S UTC")
    return f"{doing} (pid {os.getpid()}, since {since})"


def _poll(try_lock: Callable[[], bool]) -> bool:
    """Try for a moment: most waits between two loads are too short to be worth a word."""
    deadline = time.monotonic() + QUIET_WAIT_SECONDS
    while not try_lock():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


@contextmanager
def _file_lock(path: Path, doing: str, on_wait: Callable[[str], None] | None) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def try_lock() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        if not _poll(try_lock):
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
            holder = holder or "another process, which has not said what it is doing"
            started = time.monotonic()
            if on_wait:
                on_wait(f"waiting for the warehouse {path.with_suffix('')}: {holder}")
            fcntl.flock(fd, fcntl.LOCK_EX)
            if on_wait:
                on_wait(f"waited {time.monotonic() - started:.1f} s for: {holder}")
        os.ftruncate(fd, 0)
        os.pwrite(fd, _holder(doing).encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _advisory_lock(engine: Engine, doing: str, on_wait: Callable[[str], None] | None
                   ) -> Iterator[None]:
    key = "(:class, hashtext(current_schema()))"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT set_config('application_name', :name, false)"),
                     {"name": _holder(doing)[:63]})

        def try_lock() -> bool:
            return bool(conn.execute(text(f"SELECT pg_try_advisory_lock{key}"),
                                     {"class": ADVISORY_CLASS}).scalar_one())

        if not _poll(try_lock):
            holder = conn.execute(
                text(
                    "SELECT a.application_name, a.pid FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :class "
                    "AND l.objid = hashtext(current_schema())::oid AND l.objsubid = 2"
                ),
                {"class": ADVISORY_CLASS},
            ).first()
            who = (f"{holder[0] or 'another session'} (server pid {holder[1]})" if holder
                   else "another session")
            started = time.monotonic()
            if on_wait:
                on_wait(f"waiting for the warehouse {engine.url.database}: {who}")
            conn.execute(text(f"SELECT pg_advisory_lock{key}"), {"class": ADVISORY_CLASS})
            if on_wait:
                on_wait(f"waited {time.monotonic() - started:.1f} s for: {who}")
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock{key}"), {"class": ADVISORY_CLASS})
            conn.execute(text("SELECT set_config('application_name', '', false)"))
