"""Seed a case database with generated referrals (invented people), fast.

``python -m bench.seed --url sqlite:///bench.db --cases 50000`` fills a migrated database
through bulk inserts (one executemany per table and chunk) in seconds, not minutes. The
same builders make single cases for the web tests (:func:`add_case`), so tests and
benchmarks see the same shape of data the store writes: a ``Case`` with its record, its
``Flag`` rows, the ``Message`` that brought it and the ``Blob`` originals.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import Engine, func, select

from bench.seed_records import (  # noqa: F401 - FLAG_KINDS, FORM_BYTES: tests import them here
    FLAG_KINDS,
    FORENAMES,
    FORM_BYTES,
    MAILBOX_AREA,
    SCHOOLS,
    SURNAMES,
    CaseSpec,
    record_json,
)
from models.tables import Blob, Case, Flag, Message


class Seeder:
    """Builds rows for many cases with explicit ids, then inserts them table by table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.connect() as conn:
            self.case_id = conn.execute(select(func.max(Case.id))).scalar() or 0
            self.message_id = conn.execute(select(func.max(Message.id))).scalar() or 0
        self.rows: dict[str, list[dict[str, Any]]] = {"blob": [], "case": [], "message": [],
                                                      "flag": []}
        self.blobs: set[str] = set()
        self.sqlite = engine.dialect.name == "sqlite"

    def ts(self, moment: datetime | None) -> datetime | str | None:
        """A timestamp in the driver's terms: SQLite keeps UTC as text, as SQLAlchemy does."""
        if moment is None or not self.sqlite:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def blob(self, content: bytes) -> str:
        sha = hashlib.sha256(content).hexdigest()
        if sha not in self.blobs:
            self.blobs.add(sha)
            self.rows["blob"].append({"sha256": sha, "size": len(content),
                                      "content": b"\x00" + content})  # plain-marked
        return sha

    def message(self, *, mailbox: str, received_at: datetime, status: str,
                case_id: int | None, error: str | None = None, area: str | None = None,
                flag_codes: str | None = None) -> int:
        self.message_id += 1
        raw = (f"Message-ID: <seed-{self.message_id}@school.example.org>\r\n"
               f"From: attendance@school.example.org\r\nSubject: CME referral\r\n\r\n"
               f"Please find attached our referral.\r\n").encode()
        self.rows["message"].append({
            "id": self.message_id, "mailbox": mailbox, "source": "maildir",
            "account": "/srv/mail/seed", "folder": "INBOX",
            "dedup_key": f"<seed-{self.message_id}@school.example.org>",
            "message_id": f"<seed-{self.message_id}@school.example.org>",
            "raw_sha256": self.blob(raw), "size": len(raw), "received_at": self.ts(received_at),
            "from_addr": "attendance@school.example.org", "to_addr": f"{mailbox}@example.org",
            "subject": b"\x00CME referral" if case_id else b"\x00Attendance query", "status": status,
            "error": None if error is None else b"\x00" + error.encode(),
            "case_id": case_id, "moved": True,
            "updated_at": self.ts(received_at),
            "area": area or MAILBOX_AREA[mailbox], "flag_codes": flag_codes,
        })
        return self.message_id

    def case(self, spec: CaseSpec) -> str:
        self.case_id += 1
        reference = f"CME-{spec.received_at.year}-{self.case_id:06d}"
        record = record_json(spec, reference, self.blob(spec.document))
        blocking_open = any(k[3] == "blocking" for k in spec.flags[spec.closed_flags:])
        completed = (None if blocking_open else
                     spec.received_at + (spec.completed_after or timedelta(days=3)))
        self.rows["case"].append({
            "id": self.case_id, "reference": reference, "mailbox": spec.mailbox,
            "area": spec.area, "school_name": spec.school, "school_type": spec.school_type,
            "surname_key": spec.surname.lower(), "forenames_key": spec.forenames.lower(),
            "date_of_birth": "2015-05-14", "status": "open" if blocking_open else "complete",
            "has_blocking": blocking_open, "risk_count": len(spec.risk_indicators),
            "late": any(k[0] == "late_referral" for k in spec.flags),
            "misrouted": any(k[0] == "misrouted" for k in spec.flags),
            "received_at": self.ts(spec.received_at), "completed_at": self.ts(completed),
            "updated_at": self.ts(spec.received_at), "version": 1,
            "aio_name": "seed-aio" if spec.part3_confirmed else None,
            "part3_confirmed": spec.part3_confirmed,
            "record": b"\x00" + record.encode(),  # plain-marked (models.crypto)
        })
        message_pk = self.message(mailbox=spec.mailbox, received_at=spec.received_at,
                                  status=spec.message_status, case_id=self.case_id,
                                  area=spec.area)
        for index, kind in enumerate(spec.flags):
            code, section, path, severity, text, follow = kind
            closed = index < spec.closed_flags
            self.rows["flag"].append({
                "case_id": self.case_id, "message_pk": message_pk, "code": code,
                "section": section, "field": path, "severity": severity,
                "message": b"\x00" + text.encode(),
                "follow_up_with": follow, "status": "resolved" if closed else "open",
                "created_at": self.ts(spec.received_at),
                "closed_by": "seed-aio" if closed else None,
                "closed_at": self.ts(completed) if closed else None,
                "note": b"\x00Seeded." if closed else None,
            })
        return reference

    def flush(self) -> None:
        """Insert the collected rows with the driver's executemany, table by table.

        SQLAlchemy's per-value processing is bypassed (it dominated the run time), so the
        builders put values in the driver's terms: timestamps (:meth:`ts`), records and
        originals as plain-marked bytes (``models.crypto``).
        """
        tables = (("blob", Blob), ("case", Case), ("message", Message), ("flag", Flag))
        with self.engine.begin() as conn:
            dialect = conn.dialect
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            for name, model in tables:
                if not self.rows[name]:
                    continue
                columns, defaults = _columns(model, given=self.rows[name][0])
                sql = _insert_sql(dialect, model.__table__.name, columns)
                pick = itemgetter(*columns)
                cursor.executemany(sql, [pick({**defaults, **row}) for row in self.rows[name]])
                if dialect.name == "postgresql" and "id" in self.rows[name][0]:
                    # ids were given: move the sequence past them for later ORM inserts
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                   f"(SELECT max(id) FROM \"{name}\"))")
                self.rows[name].clear()
            cursor.close()


def _columns(model: Any, *, given: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Column names and scalar defaults (a bare insert applies none); a primary key only
    when the rows give it (else the database assigns it)."""
    columns = [c for c in model.__table__.columns if not c.primary_key or c.name in given]
    defaults = {c.name: c.default.arg if c.default is not None and c.default.is_scalar else None
                for c in columns}
    return [c.name for c in columns], defaults


def _insert_sql(dialect: Any, table_name: str, columns: list[str]) -> str:
    quote = dialect.identifier_preparer.quote
    if dialect.paramstyle == "qmark":
        marks = ", ".join("?" for _ in columns)
    else:  # psycopg2: pyformat
        marks = ", ".join("%s" for _ in columns)
    names = ", ".join(quote(c) for c in columns)
    conflict = " ON CONFLICT DO NOTHING" if table_name == "blob" else ""  # blobs are shared
    return f"INSERT INTO {quote(table_name)} ({names}) VALUES ({marks}){conflict}"


def add_case(engine: Engine, spec: CaseSpec | None = None, **changes: Any) -> str:
    """Insert one case (for tests) and return its reference."""
    seeder = Seeder(engine)
    reference = seeder.case(spec or CaseSpec(**changes))
    seeder.flush()
    return reference


def add_message(engine: Engine, *, mailbox: str, received_at: datetime, status: str,
                error: str | None = None, flag_codes: str | None = None) -> int:
    """A message that made no case (no referral form, or failed)."""
    seeder = Seeder(engine)
    pk = seeder.message(mailbox=mailbox, received_at=received_at, status=status,
                        case_id=None, error=error, flag_codes=flag_codes)
    seeder.flush()
    return pk


def generated_specs(count: int, *, seed: int = 2026, now: datetime | None = None,
                    weeks: int = 104) -> Iterable[CaseSpec]:
    """``count`` varied cases spread over ``weeks`` weeks up to ``now``; older ones reviewed."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(microsecond=0)
    for _ in range(count):
        name, kind, area, mailbox = rng.choice(SCHOOLS)
        if rng.random() < 0.04:  # misrouted: sent to the wrong mailbox
            mailbox = rng.choice(("cme", "ene", "wnw", "south"))
        received = now - timedelta(minutes=rng.randrange(weeks * 7 * 24 * 60))
        flags = tuple(k for k in FLAG_KINDS if rng.random() < 0.3) or FLAG_KINDS[3:4]
        old = (now - received).days > 30
        reviewed = old and rng.random() < 0.97
        yield CaseSpec(
            area=area or "central", school=name, school_type=kind, mailbox=mailbox,
            forenames=rng.choice(FORENAMES), surname=rng.choice(SURNAMES), received_at=received,
            flags=flags, risk_indicators=("neglect",) if rng.random() < 0.1 else (),
            part3_confirmed=reviewed, closed_flags=len(flags) if reviewed else 0,
            completed_after=timedelta(hours=rng.randrange(2, 24 * 30)))


def seed(engine: Engine, *, cases: int, seed_value: int = 2026, chunk: int = 5000) -> float:
    """Insert ``cases`` generated cases plus stray messages; returns the seconds it took."""
    started = time.perf_counter()
    seeder = Seeder(engine)
    rng = random.Random(seed_value + 1)
    for number, spec in enumerate(generated_specs(cases, seed=seed_value), start=1):
        seeder.case(spec)
        if rng.random() < 0.04:
            status = rng.choice(("no_referral_form", "failed"))
            seeder.message(mailbox=spec.mailbox, received_at=spec.received_at, status=status,
                           case_id=None, error="UnreadableDocument: encrypted PDF"
                           if status == "failed" else None, flag_codes=",no_referral_form,"
                           if status == "no_referral_form" else None)
        if number % chunk == 0:
            seeder.flush()
    seeder.flush()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the database")
    parser.add_argument("--cases", type=int, default=50_000)
    args = parser.parse_args()
    from models.db import make_engine, migrate

    engine = make_engine(args.url)
    migrate(engine)
    print(f"seeded {args.cases} cases in {seed(engine, cases=args.cases):.1f} s")


if __name__ == "__main__":
    main()
