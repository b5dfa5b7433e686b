"""The review UI over cases made by the real store (models.store.ingest_message)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from intake.core.rules import RuleSettings
from intake.ingest import ingest_message
from intake.web.testing import add_users, make_app, migrated_engine, sign_in
from models.store import SourceRef
from models.tables import Case

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
MAILS = {"ene": "e01_plain_docx_ene.eml", "south": "e03_rfc2231_south.eml",
         "wnw": "e07_no_attachment.eml"}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    missing = [name for name in MAILS.values() if not (GOLDEN / name).exists()]
    if missing:
        pytest.skip(f"golden mails not generated: {missing}")
    engine = migrated_engine(tmp_path_factory.mktemp("ingest") / "web.db")
    add_users(engine)
    outcomes = {}
    for mailbox, name in MAILS.items():
        source = SourceRef(mailbox=mailbox, source="file", account="tests", folder="INBOX")
        outcomes[mailbox] = ingest_message(engine, raw=(GOLDEN / name).read_bytes(),
                                           source=source, settings=RuleSettings())
    return engine, outcomes


def test_case_page_of_an_ingested_referral_links_values_to_its_documents(ingested):
    engine, outcomes = ingested
    reference = outcomes["ene"].case_reference
    assert reference
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    assert reference in client.get("/queue?status=").text
    html = client.get(f"/cases/{reference}").text
    links = set(re.findall(rf'<a class="source" href="/cases/{reference}/documents/(\d+)"', html))
    assert links, "no value is linked to its document"
    with Session(engine) as db:
        record = db.exec(select(Case.record).where(Case.reference == reference)).one()
    for index in links:
        response = client.get(f"/cases/{reference}/documents/{index}")
        assert response.status_code == 200
        assert response.headers["content-disposition"].startswith("attachment")
        # the stored original, byte for byte
        assert hashlib.sha256(response.content).hexdigest() == \
            record["documents"][int(index)]["sha256"]
    south = outcomes["south"].case_reference
    if south:
        assert client.get(f"/cases/{south}").status_code == 403
        assert south not in client.get("/queue?status=").text


def test_log_shows_every_ingested_message_and_csv_agrees(ingested):
    engine, outcomes = ingested
    client = sign_in(TestClient(make_app(engine)), "manager")
    rows = list(csv.DictReader(io.StringIO(client.get("/log.csv?since=").text)))
    assert len(rows) == len(MAILS)
    assert {r["status"] for r in rows} == {o.status for o in outcomes.values()}
    html = client.get("/log?since=").text
    for outcome in outcomes.values():
        if outcome.case_reference:
            assert outcome.case_reference in html
