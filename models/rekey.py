"""Re-sealing the case database under its current key: key rotation and first encryption.

:func:`reseal` walks every sealed column (originals, case records, record versions) and
re-seals each value that is not sealed with the engine's current key, in short
transactions of ``batch`` rows. A crash (even SIGKILL) loses at most the batch in hand,
which rolled back whole; running it again picks up where it stopped, because the rows left
are exactly those whose header still names another key (or none). Cases re-sealed here also
get their blind-index columns recomputed from their record, so a database that was never
encrypted becomes fully indexed by keyed hashes on its first pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Engine,
    LargeBinary,
    String,
    and_,
    bindparam,
    column,
    func,
    select,
    table,
)

from models.casework import pupil_keys
from models.crypto import HEADER, SEALED, KeyRing, keyring_of, seal, unseal
from models.db import session_scope


@dataclass(frozen=True)
class SealedColumn:
    table: str
    key: str
    name: str
    purpose: str


SEALED_COLUMNS = (
    SealedColumn("blob", "sha256", "content", "blob.content"),
    SealedColumn("case", "id", "record", "case.record"),
    SealedColumn("caseversion", "id", "record", "caseversion.record"),
    SealedColumn("message", "id", "subject", "message.subject"),
    SealedColumn("message", "id", "error", "message.error"),
    SealedColumn("flag", "id", "message", "flag.message"),
    SealedColumn("flag", "id", "note", "flag.note"),
    SealedColumn("document", "id", "filename", "document.filename"),
    SealedColumn("document", "id", "raw_filename", "document.raw_filename"),
    SealedColumn("auditevent", "id", "sealed_detail", "auditevent.sealed_detail"),
)
_INDEX_COLUMNS = {"upn": "upn", "surname_key": "surname", "forenames_key": "forenames",
                  "date_of_birth": "dob"}


def _raw(spec: SealedColumn) -> Any:
    """The table with plain byte types: no sealing on the way in or out."""
    key_type = String() if spec.key == "sha256" else None
    extra = [column(name, String()) for name in _INDEX_COLUMNS] if spec.table == "case" else []
    return table(spec.table, column(spec.key, key_type), column(spec.name, LargeBinary()), *extra)


def _stale(spec: SealedColumn, ring: KeyRing) -> Any:
    """Rows whose value does not begin with this key's header."""
    raw = _raw(spec)
    header = SEALED + ring.current_id.encode("ascii")
    prefix = func.substr(raw.c[spec.name], 1, HEADER, type_=LargeBinary())
    return raw, prefix != bindparam("header", header, type_=LargeBinary())


def stale_count(engine: Engine) -> dict[str, int]:
    """How many values per column are not sealed with the current key (0 = done)."""
    ring = _required_ring(engine)
    counts = {}
    with session_scope(engine, readonly=True) as session:
        for spec in SEALED_COLUMNS:
            raw, condition = _stale(spec, ring)
            counts[spec.purpose] = int(session.execute(
                select(func.count()).select_from(raw).where(raw.c[spec.name].is_not(None),
                                                            condition)).scalar() or 0)
    return counts


def reseal(
    engine: Engine,
    *,
    batch: int = 200,
    pause: float = 0.0,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Re-seal every stale value under the current key; returns how many per column."""
    ring = _required_ring(engine)
    done: dict[str, int] = {}
    for spec in SEALED_COLUMNS:
        done[spec.purpose] = 0
        while True:
            count = _reseal_batch(engine, spec, ring, batch)
            if not count:
                break
            done[spec.purpose] += count
            if progress is not None:
                progress(spec.purpose, done[spec.purpose])
            if pause:
                time.sleep(pause)
    return done


def _reseal_batch(engine: Engine, spec: SealedColumn, ring: KeyRing, batch: int) -> int:
    raw, condition = _stale(spec, ring)
    condition = and_(raw.c[spec.name].is_not(None), condition)
    with session_scope(engine) as session:
        rows = session.execute(
            select(raw.c[spec.key], raw.c[spec.name]).where(condition)
            .order_by(raw.c[spec.key]).limit(batch)
        ).all()
        for key, value in rows:
            plain = unseal(ring, value, spec.purpose)
            values: dict[str, Any] = {spec.name: seal(ring, plain, spec.purpose)}
            if spec.table == "case":
                values.update(_blind_indexes(ring, plain))
            session.execute(raw.update().where(raw.c[spec.key] == key).values(values))
        return len(rows)


def _blind_indexes(ring: KeyRing, record_json: bytes) -> dict[str, Any]:
    import json

    keys = pupil_keys(json.loads(record_json))
    return {name: None if keys[part] is None else ring.blind(str(keys[part]))
            for name, part in _INDEX_COLUMNS.items()}


def forget_old_keys(engine: Engine) -> None:
    """Drop the ids of keys no value uses any more (call once :func:`stale_count` is 0)."""
    ring = _required_ring(engine)
    keys = table("datakey", column("key_id", String()))
    with session_scope(engine) as session:
        session.execute(keys.delete().where(keys.c.key_id != ring.current_id))


def _required_ring(engine: Engine) -> KeyRing:
    ring = keyring_of(engine)
    if ring is None:
        from models.crypto import KeyMissing

        raise KeyMissing("re-sealing needs a key ring (CME_DATABASE_KEY_FILE)")
    return ring
