"""The warehouse's pseudonymisation keys: which chain ingest hashes with, and `plait rekey`.

The method is in `etl.pseudonymise` ("Key rotation"): every stored keyed hash is wrapped in
the new key, and the keys are recorded in `meta_pseudonym_key` so that ingest hashes new rows
through the same chain. Ingest refuses a key that is not the warehouse's current one: hashes
made with another key would silently never link to the stored ones.

Where keyed hashes are stored: `victim_id` and `suspect_keys` (`;`-joined) columns, and
`raw_row` (a quarantined row, whose hashed cells sit inside its JSON or text). Every table of
the schema with such a column is re-keyed, so a table added later is covered by its column
names. In `raw_row` a keyed hash is found by its shape: 32 hexadecimal characters, or `v` and
20 (a victim id), as whole words; nothing else a reject keeps has that shape once redacted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table, bindparam, func, select, update

from etl.pseudonymise import Key, KeyChain, fingerprint, wrap
from etl.schema import meta_pseudonym_key, metadata
from etl.warehouse import exclusive

HASH_IN_TEXT = re.compile(r"\b(?:v[0-9a-f]{20}|[0-9a-f]{32})\b")
KEYED_COLUMNS = ("victim_id", "suspect_keys", "raw_row")


class WrongKeyError(Exception):
    """The key given is not the one the warehouse's hashes were made with."""


@dataclass(frozen=True)
class RekeyReport:
    """How many stored values each table's keyed columns had changed."""

    changed: dict[str, int]
    chain_length: int


def key_chain(conn: Connection, key: bytes) -> KeyChain:
    """The chain to hash with, ending in `key`; records `key` on a warehouse without one.

    Raises WrongKeyError when the warehouse's current key is another one."""
    rows = conn.execute(select(meta_pseudonym_key).order_by(meta_pseudonym_key.c.position)
                        ).mappings().all()
    if not rows:
        conn.execute(meta_pseudonym_key.insert().values(
            position=1, fingerprint=fingerprint(key), retired_key=None, set_at=_now()))
        return KeyChain((key,))
    if rows[-1]["fingerprint"] != fingerprint(key):
        raise WrongKeyError(
            "this warehouse's keyed hashes were made with another PLAIT_PSEUDONYM_KEY "
            f"(fingerprint {rows[-1]['fingerprint'][:8]}…, this key's is "
            f"{fingerprint(key)[:8]}…): set the warehouse's key, or re-key it with "
            "`plait rekey --old-key-env VAR --new-key-env VAR`")
    retired = [bytes.fromhex(r["retired_key"]) for r in rows[:-1]]
    return KeyChain((*retired, key))


def warehouse_key(engine: Engine, key: Key) -> KeyChain:
    """`key_chain` in its own transaction under the writer lock, so that two first ingests
    record one key (a chain given is checked by its current key)."""
    with exclusive(engine, "plait ingest reading the pseudonymisation key"), \
            engine.begin() as conn:
        return key_chain(conn, key.current if isinstance(key, KeyChain) else key)


def rekey(engine: Engine, old: bytes, new: bytes) -> RekeyReport:
    """Wrap every keyed hash in the warehouse in `new`, in one transaction.

    `old` must be the warehouse's current key (on a warehouse that never recorded one, the
    key its hashes were made with). Links are kept: equal hashes stay equal, distinct ones
    stay distinct, and ingest with `new` hashes through the recorded chain. It holds the
    writer lock, so no file loads meanwhile; an ingest already running keeps the chain it
    read and should be let finish first (its next run is refused the old key)."""
    if old == new:
        raise ValueError("the old and the new key are the same")
    changed: dict[str, int] = {}
    with exclusive(engine, "plait rekey"), engine.begin() as conn:
        chain = key_chain(conn, old)
        for table in metadata.sorted_tables:
            for column in KEYED_COLUMNS:
                if column in table.c:
                    changed[f"{table.name}.{column}"] = _rekey_column(conn, table, column, new)
        last = conn.execute(select(func.max(meta_pseudonym_key.c.position))).scalar_one()
        conn.execute(update(meta_pseudonym_key)
                     .where(meta_pseudonym_key.c.position == last)
                     .values(retired_key=old.hex()))
        conn.execute(meta_pseudonym_key.insert().values(
            position=last + 1, fingerprint=fingerprint(new), retired_key=None, set_at=_now()))
    return RekeyReport(changed, len(chain.keys) + 1)


def _rekey_column(conn: Connection, table: Table, column: str, new: bytes) -> int:
    """Rewrite one column's non-empty values, row by row through the primary key (or, for
    a table without one, value by value)."""
    col = table.c[column]
    pk = list(table.primary_key.columns)
    keys = pk or [col]
    query = select(*keys, col).where(col.is_not(None)).where(col != "")
    rows = conn.execute(query if pk else query.distinct()).all()
    updates = []
    for row in rows:
        value = row[-1]
        rewritten = _rewrap(column, value, new)
        if rewritten != value:
            updates.append({**{f"k_{i}": row[i] for i in range(len(keys))}, "v": rewritten})
    if updates:
        statement = update(table).values({column: bindparam("v")})
        for i, k in enumerate(keys):
            statement = statement.where(k == bindparam(f"k_{i}"))
        conn.execute(statement, updates)
    return len(updates)


def _rewrap(column: str, value: str, new: bytes) -> str:
    if column == "victim_id":
        return wrap(new, value)
    if column == "suspect_keys":
        return ";".join(sorted(wrap(new, h) for h in value.split(";") if h))
    return HASH_IN_TEXT.sub(lambda m: wrap(new, m.group(0)), value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
