"""Encryption at rest on the demo: a raw dump shows no pupil, keys rotate through a SIGKILL.

Real SQLite and PostgreSQL (``db_url``), the real CLI, the real ``sqlite3 .dump`` and
``pg_dump``; the demo's invented pupils are read back through the key to know what to
look for.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli import app
from models.crypto import KeyMissing, read_keyring
from models.db import make_engine, migrate
from models.rekey import stale_count
from models.tables import Blob, Case, CaseVersion

runner = CliRunner()


def _demo(tmp_path: Path, db_url: str) -> tuple[Path, Path, dict[str, str]]:
    """The demo ingested into ``db_url`` under a fresh key: (config, key file, env)."""
    folder, keys = tmp_path / "demo", tmp_path / "keys.json"
    assert runner.invoke(app, ["demo-setup", str(folder)]).exit_code == 0
    config = folder / "cme-intake.toml"
    env = {"CME_DATABASE_URL": db_url, "CME_DATABASE_KEY_FILE": str(keys)}
    init = runner.invoke(app, ["keys", "init", "--config", str(config)], env=env)
    assert init.exit_code == 0, init.output
    run = runner.invoke(app, ["run", "--once", "--config", str(config)], env=env)
    assert run.exit_code == 0, run.output
    return config, keys, env


def _pupil_values(db_url: str, keys: Path) -> set[str]:
    """Every demo pupil's names, street address, postcode and date of birth, and parents."""
    engine = make_engine(db_url, keyring=read_keyring(keys))
    values: set[str] = set()
    with Session(engine) as session:
        for case in session.exec(select(Case)):
            pupil = case.record["pupil"]
            address = pupil.get("address") or {}
            values |= {pupil["surname"], pupil["forenames"], pupil["date_of_birth"],
                       (address.get("lines") or [None])[0], address.get("postcode")}
            values |= {parent["name"] for parent in case.record.get("parents") or []}
    engine.dispose()
    return {value for value in values if value}


def _raw_dump(db_url: str, request: pytest.FixtureRequest) -> str:
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        sqlite3 = shutil.which("sqlite3")
        if sqlite3 is None:
            pytest.fail("the sqlite3 command line is needed for a raw dump")
        result = subprocess.run([sqlite3, url.database, ".dump"], capture_output=True, check=True)
    else:
        bindir = request.getfixturevalue("pg_cluster").bindir
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        result = subprocess.run([str(bindir / "pg_dump"), "--dbname", plain],
                                capture_output=True, check=True)
    return result.stdout.decode("utf-8", "replace")


CORRECTED = "Fenwyckeshaw"  # an invented surname an AIO types in a correction


def _correct_a_name(db_url: str, keys: Path) -> None:
    """An AIO corrects the first demo pupil's surname (the audit event holds both names);
    the case's audit trail still shows them, opened, to whoever reads the case."""
    from intake.core.corrections import correct
    from models.queries import get_case
    from models.store_corrections import corrections_of, save_correction

    engine = make_engine(db_url, keyring=read_keyring(keys))
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.reference == "CME-2026-000001")).one()
        record, version, case_id = case.record, case.version, int(case.id or 0)
    change = correct(record, "pupil.surname", CORRECTED, received_on=None)
    save_correction(engine, reference="CME-2026-000001", version=version, actor="ene-aio",
                    path="pupil.surname", record=change.record, before=change.before,
                    value=change.value, label=change.label, close=change.close,
                    raised=change.raised, reason=f"School phoned: surname is {CORRECTED}")
    with Session(engine) as session:
        row = corrections_of(session, case_id)[0]
        assert (row.before, row.value) == (record["pupil"]["surname"], CORRECTED)
        audit = get_case(session, "CME-2026-000001")["audit"]  # type: ignore[index]
        assert any(e["detail"].get("value") == CORRECTED for e in audit)
    engine.dispose()


def test_raw_dump_of_the_demo_holds_no_pupil_data(tmp_path, db_url, request):
    _config, keys, _env = _demo(tmp_path, db_url)
    values = _pupil_values(db_url, keys)
    assert len(values) > 30  # seven pupils, their parents, addresses and birthdays
    _correct_a_name(db_url, keys)
    dump = _raw_dump(db_url, request)
    assert "CME-2026-000001" in dump  # the dump is real: references stay readable
    assert "field_corrected" in dump and "pupil.surname" in dump  # the event, without values
    assert sorted(value for value in values | {CORRECTED} if value in dump) == []


def test_database_opened_without_its_key_says_so(tmp_path, db_url):
    _demo(tmp_path, db_url)
    engine = make_engine(db_url, keyring=None)
    with pytest.raises(KeyMissing, match="encrypted .* no key was given"):
        migrate(engine)
    engine.dispose()


def _every_value_opens(db_url: str, keys: Path) -> int:
    engine = make_engine(db_url, keyring=read_keyring(keys))
    migrate(engine)
    with Session(engine) as session:
        count = len([case.record["reference"] for case in session.exec(select(Case))])
        assert all(v.record for v in session.exec(select(CaseVersion)))
        assert all(blob.size == len(blob.content) for blob in session.exec(select(Blob)))
    assert set(stale_count(engine).values()) == {0}
    engine.dispose()
    return count


def test_key_rotation_killed_midway_then_resumed(tmp_path, db_url):
    config, keys, env = _demo(tmp_path, db_url)
    first = read_keyring(keys).current_id
    command = [sys.executable, "-m", "intake.cli", "keys", "rotate", "--config", str(config),
               "--batch", "1", "--pause", "0.2"]
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=tmp_path)
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(3)]  # new key, then two re-sealed values
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert b"resealed" in lines[-1], lines
    half = read_keyring(keys)
    assert len(half.keys) == 2 and half.keys[1][0] == first  # old key kept until done
    resumed = runner.invoke(app, ["keys", "rotate", "--config", str(config)], env=env)
    assert resumed.exit_code == 0, resumed.output
    assert "resuming" in resumed.output
    final = read_keyring(keys)
    assert len(final.keys) == 1 and final.current_id == half.current_id != first
    assert _every_value_opens(db_url, keys) == 7


def test_subject_and_file_names_naming_the_child_are_sealed(tmp_path, db_url, request):
    from models.crypto import new_keyring
    from tests.test_store import ingest, pupil_fields, referral_email

    engine = make_engine(db_url, keyring=new_keyring())
    migrate(engine)
    raw = referral_email(fields=pupil_fields(Surname="Quillfeather"),
                         subject="CME referral: Jane Quillfeather 03/09/2014",
                         attachments=(("Quillfeather letter.docx", b"PK-letter"),))
    reference = ingest(engine, raw).case_reference
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.reference == reference)).one()
        assert case.record["received"]["subject"].endswith("Quillfeather 03/09/2014")
    engine.dispose()
    dump = _raw_dump(db_url, request)
    assert reference in dump and "Quillfeather" not in dump


def test_migration_moves_correction_values_out_of_the_plain_audit_detail(db_url):
    """Events written before ``sealed_detail`` existed: their values move into it (marked
    plain, for ``keys init``/``rotate`` to seal) and still read back whole."""
    from sqlalchemy import text

    from models.tables import AuditEvent

    engine = make_engine(db_url, keyring=None)
    migrate(engine, "0004")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO auditevent (at, actor, action, detail) VALUES "
            "(CURRENT_TIMESTAMP, 'ene-aio', 'field_corrected', :detail)"),
            {"detail": '{"path": "pupil.surname", "before": "Doe", "value": "Fenwyckeshaw", '
                       '"parser_value": "Doe", "reason": "phoned", "version": 2}'})
    migrate(engine)
    with engine.connect() as connection:
        plain = connection.execute(text("SELECT detail FROM auditevent")).scalar_one()
    assert "Fenwyckeshaw" not in str(plain) and "pupil.surname" in str(plain)
    with Session(engine) as session:
        event = session.exec(select(AuditEvent)).one()
        assert event.full_detail()["value"] == "Fenwyckeshaw"
        assert event.detail == {"path": "pupil.surname", "version": 2}
    engine.dispose()
