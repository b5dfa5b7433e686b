"""Import a DfE "Get Information about Schools" establishment extract into ``schools``.

The file is read exactly as the DfE publishes it (``edubasealldataYYYYMMDD.csv``: its own
column names, Windows-1252; a copy re-saved as UTF-8 is read too). Importing a newer extract
updates rows in place by URN and says what changed: schools opened, closed, converted to
academies (the maintained URN closed and an academy of the same name opened in the same LA),
and renamed. Rows are never deleted: the register keeps closed schools, and so do we.

All work is one transaction, with bulk statements, so a 50,000-row national extract imports
in seconds and a failed import leaves the previous register as it was.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update

from models.db import session_scope
from models.schools import OPEN_STATUSES, School
from models.tables import utcnow
from parsers.errors import ConfigError, UnreadableDocument

COLUMNS = {  # our field -> the register's column
    "urn": "URN", "la_code": "LA (code)", "establishment_number": "EstablishmentNumber",
    "name": "EstablishmentName", "establishment_type": "TypeOfEstablishment (name)",
    "type_group": "EstablishmentTypeGroup (name)", "status": "EstablishmentStatus (name)",
    "postcode": "Postcode",
}
OPTIONAL_COLUMNS = {"town": "Town", "open_date": "OpenDate", "close_date": "CloseDate",
                    "close_reason": "ReasonEstablishmentClosed (name)"}
ACADEMY_GROUPS = ("Academies", "Free Schools")
COMPARED = ("name", "la_code", "establishment_number", "establishment_type", "type_group",
            "status", "postcode", "town", "open_date", "close_date", "area_column", "area_key",
            "area")
_FILE_DATE = re.compile(r"edubasealldata(\d{4})(\d{2})(\d{2})", re.IGNORECASE)
_CHUNK = 900

AreaOf = Callable[[str, str | None], str | None]


@dataclass
class ImportReport:
    """What one import did. Lists hold (URN, name) pairs, converted ones (old URN, name, new URN)."""

    extract_date: date | None
    read: int = 0
    kept: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    first_import: bool = False
    opened: list[tuple[str, str]] = field(default_factory=list)
    closed: list[tuple[str, str]] = field(default_factory=list)
    converted: list[tuple[str, str, str]] = field(default_factory=list)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (URN, old, new)

    def lines(self) -> list[str]:
        """The report as staff read it: the counts, then each change on its own line."""
        when = self.extract_date.isoformat() if self.extract_date else "undated"
        out = [f"extract {when}: {self.read} rows read, {self.kept} kept; {self.added} added, "
               f"{self.updated} updated, {self.unchanged} unchanged"]
        if self.first_import:
            return out + ["first import: no earlier register to compare with"]
        out += [f"opened: {urn} {name}" for urn, name in self.opened]
        out += [f"closed: {urn} {name}" for urn, name in self.closed]
        out += [f"converted to academy: {old} {name} -> {new}" for old, name, new in self.converted]
        out += [f"renamed: {urn} {old} -> {new}" for urn, old, new in self.renamed]
        return out


def extract_date_of(filename: str | None) -> date | None:
    """The date in a register file's name (``edubasealldata20260901.csv``), else None."""
    found = _FILE_DATE.search(filename or "")
    if not found:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def decode_extract(content: bytes) -> str:
    """The register publishes Windows-1252; a copy re-saved by Excel may be UTF-8 (with BOM)."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def read_extract(content: bytes, *, area_column: str | None = None,
                 la_codes: Iterable[str] = ()) -> tuple[int, list[dict[str, Any]]]:
    """(rows read, the rows kept as dicts of our fields plus ``area_key``)."""
    reader = csv.reader(io.StringIO(decode_extract(content), newline=""))
    header = next(reader, None)
    if not header:
        raise UnreadableDocument("the register extract is empty")
    index = {name.strip(): n for n, name in enumerate(header)}
    missing = [column for column in COLUMNS.values() if column not in index]
    if missing:
        raise UnreadableDocument(
            "the file is not a DfE establishment extract (edubasealldata CSV): no column "
            + ", ".join(repr(m) for m in missing))
    if area_column is not None and area_column not in index:
        raise ConfigError(f"schools.area_column {area_column!r} is not a column of the extract")
    wanted = {**{k: index[v] for k, v in COLUMNS.items()},
              **{k: index[v] for k, v in OPTIONAL_COLUMNS.items() if v in index}}
    if area_column is not None:
        wanted["area_key"] = index[area_column]
    codes = {code.strip() for code in la_codes}
    read, kept = 0, []
    for cells in reader:
        if not cells:
            continue
        read += 1
        row = _row(cells, wanted)
        if row is not None and (not codes or row["la_code"] in codes):
            row["area_column"] = area_column
            kept.append(row)
    return read, kept


def _row(cells: list[str], wanted: dict[str, int]) -> dict[str, Any] | None:
    row: dict[str, Any] = {}
    for name, position in wanted.items():
        value = cells[position].strip() if position < len(cells) else ""
        row[name] = " ".join(value.split()) or None
    if not row["urn"] or not row["name"]:
        return None
    row["postcode"] = _postcode(row["postcode"])
    row["open_date"] = _register_date(row.get("open_date"))
    row["close_date"] = _register_date(row.get("close_date"))
    row.setdefault("town", None)
    row.setdefault("area_key", None)
    return row


def _postcode(value: str | None) -> str | None:
    if not value:
        return None
    compact = "".join(value.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 4 else compact


def _register_date(value: str | None) -> date | None:
    """The register writes dates as dd-mm-yyyy."""
    if not value:
        return None
    for layout in ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, layout).date()
        except ValueError:
            continue
    return None


def import_extract(engine: Engine, content: bytes, *, filename: str | None = None,
                   extract_date: date | None = None, la_codes: Iterable[str] = (),
                   area_column: str | None = None, area_of: AreaOf | None = None) -> ImportReport:
    """Upsert one extract's schools (only ``la_codes``' when given) and report the changes.

    ``area_of(urn, area_key)`` gives a school its area team (the council's mapping, built by
    the shell from its settings); without it areas stay empty.
    """
    read, rows = read_extract(content, area_column=area_column, la_codes=la_codes)
    report = ImportReport(extract_date=extract_date or extract_date_of(filename), read=read)
    by_urn = {row["urn"]: row for row in rows}  # a URN twice: the later line wins
    report.kept = len(by_urn)
    for row in by_urn.values():
        row["area"] = area_of(row["urn"], row["area_key"]) if area_of else None
        row["extract_date"] = report.extract_date
    with session_scope(engine) as session:
        stored = {r.urn: r for r in session.execute(select(*_stored_columns()))}
        report.first_import = not stored
        added, changed, same = _compare(by_urn, stored, report)
        now = utcnow()
        table = School.__table__  # type: ignore[attr-defined]
        if added:  # Core executemany: batched multi-row INSERTs on both backends
            session.connection().execute(insert(table), [{**_fields(r), "updated_at": now}
                                                         for r in added])
        if changed:
            statement = (update(table).where(table.c.urn == bindparam("b_urn"))
                         .values({name: bindparam(f"b_{name}") for name in (*COMPARED, "extract_date")})
                         .values(updated_at=now))
            session.connection().execute(statement, [
                {"b_urn": r["urn"], **{f"b_{k}": r[k] for k in (*COMPARED, "extract_date")}}
                for r in changed])
        for chunk in _chunks(same):
            session.execute(update(School).where(School.urn.in_(chunk))
                            .values(extract_date=report.extract_date))
        report.added, report.updated, report.unchanged = len(added), len(changed), len(same)
    return report


def import_file(engine: Engine, path: Path, **options: Any) -> ImportReport:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read {path.name}: {exc.strerror or exc}") from None
    return import_extract(engine, content, filename=path.name, **options)


def _stored_columns() -> list[Any]:
    return [School.urn, *(getattr(School, name) for name in COMPARED)]


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in ("urn", *COMPARED, "extract_date")}


def _compare(rows: dict[str, dict[str, Any]], stored: dict[str, Any],
             report: ImportReport) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Split the extract into added, changed and unchanged rows, noting each event."""
    added, changed, same = [], [], []
    newly_open: list[dict[str, Any]] = []
    newly_closed: list[dict[str, Any]] = []
    for urn, row in rows.items():
        before = stored.get(urn)
        if before is None:
            added.append(row)
            if row["status"] in OPEN_STATUSES:
                newly_open.append(row)
            continue
        if all(getattr(before, name) == row[name] for name in COMPARED):
            same.append(urn)
            continue
        changed.append(row)
        if before.name != row["name"]:
            report.renamed.append((urn, before.name, row["name"]))
        was_open, is_open = before.status in OPEN_STATUSES, row["status"] in OPEN_STATUSES
        if is_open and not was_open:
            newly_open.append(row)
        elif was_open and not is_open:
            newly_closed.append(row)
    if not report.first_import:
        _note_events(newly_open, newly_closed, report)
    return added, changed, same


def _note_events(opened: list[dict[str, Any]], closed: list[dict[str, Any]],
                 report: ImportReport) -> None:
    successors = {(r["la_code"], r["name"].casefold()): r for r in opened
                  if r["type_group"] in ACADEMY_GROUPS}
    taken: set[str] = set()
    for row in closed:
        academy = successors.get((row["la_code"], row["name"].casefold()))
        reason = (row.get("close_reason") or "").casefold()
        if academy is not None and academy["urn"] not in taken:
            taken.add(academy["urn"])
            report.converted.append((row["urn"], row["name"], academy["urn"]))
        elif "academy" in reason:
            report.converted.append((row["urn"], row["name"], ""))
        else:
            report.closed.append((row["urn"], row["name"]))
    report.opened += [(r["urn"], r["name"]) for r in opened if r["urn"] not in taken]


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
