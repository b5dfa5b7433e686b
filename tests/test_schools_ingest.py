"""The register through ingest and the review UI: the daemon's path (a parse made on a
document worker, which is never sent the register), the case's school columns, the case
page beside what the form said, and the queue filtering by the register's name."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from intake.core.parse_job import Parsed, parse_outcome
from intake.core.pipeline import parse_message, with_register
from intake.core.rules import RuleSettings
from intake.ingest import ingest_message
from intake.web.testing import add_users, make_app, migrated_engine, sign_in
from models.store import SourceRef
from models.tables import Case
from tests.fixtures import gen_register
from tests.test_schools_match import council_directory

DAY = date(2026, 11, 2)
EML = (gen_register.FOLDER / "r04_maintained_to_another_area.eml").read_bytes()


@pytest.fixture(scope="module")
def rules() -> RuleSettings:
    return RuleSettings(schools=council_directory())


def test_a_workers_parse_gets_the_registers_view_in_the_parent(rules):
    shipped = pickle.loads(pickle.dumps(rules))  # what a document worker receives
    assert shipped.schools is None and rules.schools is not None
    on_worker = parse_message(EML, mailbox="wnw", received_on=DAY, settings=shipped)
    assert "register" not in on_worker.record["school"]
    joined = with_register(pickle.loads(pickle.dumps(on_worker)), received_on=DAY,
                           settings=rules)
    in_process = parse_message(EML, mailbox="wnw", received_on=DAY, settings=rules)
    assert joined.record == in_process.record
    assert joined.findings == in_process.findings
    assert with_register(joined, received_on=DAY, settings=rules) is joined  # once only


def test_ingest_of_a_parse_made_ahead_files_the_register_and_the_misrouting(db_engine, rules):
    ahead = parse_outcome(EML, mailbox="wnw", received_on=DAY,
                          settings=pickle.loads(pickle.dumps(rules)))
    source = SourceRef(mailbox="wnw", source="file", account="tests", folder="INBOX")
    outcome = ingest_message(db_engine, raw=EML, source=source, settings=rules,
                             received_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
                             parsed=Parsed(DAY, ahead.parsed, None))
    with Session(db_engine) as db:
        case = db.exec(select(Case).where(Case.reference == outcome.case_reference)).one()
    assert case.school_name == "Northfield Community Primary School"  # the register's name
    assert case.school_type == "maintained" and case.misrouted
    assert case.record["school"]["name"] == "Northfield Community Primary"  # the form's
    assert case.record["school"]["register"]["area"] == "ENE"


def test_case_page_shows_the_register_beside_the_form_and_the_queue_filters_by_it(tmp_path, rules):
    engine = migrated_engine(tmp_path / "web.db")
    add_users(engine)
    source = SourceRef(mailbox="wnw", source="file", account="tests", folder="INBOX")
    reference = ingest_message(engine, raw=EML, source=source, settings=rules,
                               received_at=datetime(2026, 11, 2, 9, tzinfo=UTC)).case_reference
    client = sign_in(TestClient(make_app(engine)), "manager")
    html = client.get(f"/cases/{reference}").text
    assert 'id="school-register"' in html
    assert "The school register (extract 2026-09-01)" in html
    for shown in ("Northfield Community Primary</td>", "Northfield Community Primary School</td>",
                  "107911", "383/2041", "maintained (Community school)", "ENE",
                  "matched by dfe number"):
        assert shown in html, shown
    assert reference in client.get("/queue?status=&school=community+primary+school").text
    assert reference in client.get("/log?school=community+primary+school").text
