"""Flags at scale: a group closed in one action with one note, the rest collapsed, the
pupil summary at the top (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bench.seed import FLAG_KINDS, add_case
from intake.web.testing import add_users, form_token, make_app, migrated_engine, sign_in
from models.store_flag_groups import close_flags
from models.tables import AuditEvent, Case, Flag
from parsers.errors import StoreError

NOW = datetime.now(UTC).replace(microsecond=0)
ENQUIRIES = tuple(("enquiry_not_done", "part1", f"enquiries.{key}", "warning",
                   f"Enquiry not recorded: {key.replace('_', ' ')}.", "part1_contact")
                  for key in ("home_visit", "neighbours", "contacts_telephoned", "school_friends",
                              "flight_information", "forwarding_address"))


@pytest.fixture()
def engine(tmp_path):
    engine = migrated_engine(tmp_path / "groups.db")
    add_users(engine)
    return engine


def _flag_ids(engine, code: str) -> list[int]:
    with Session(engine) as session:
        return [f.id for f in session.exec(select(Flag).where(Flag.code == code))]


def test_a_selected_group_closes_in_one_action_with_one_note(engine):
    reference = add_case(engine, received_at=NOW - timedelta(days=1),
                         flags=(FLAG_KINDS[0], *ENQUIRIES))
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    page = client.get(f"/cases/{reference}").text
    assert page.index('class="pupil-summary"') < page.index('id="flags"')
    assert "4 more flags for Part 1 contact" in page  # 7 flags: 3 shown, 4 collapsed
    ids = _flag_ids(engine, "enquiry_not_done")
    token = form_token(client, f"/cases/{reference}")
    done = client.post(f"/cases/{reference}/flags", data={
        "csrf_token": token, "action": "waive", "flag": ids, "note": "Family seen at home"})
    assert "The selected flags are waived." in done.text
    with Session(engine) as session:
        flags = session.exec(select(Flag).where(Flag.code == "enquiry_not_done")).all()
        assert {(f.status, f.note, f.closed_by) for f in flags} == {
            ("waived", "Family seen at home", "ene-aio")}
        assert session.exec(select(Case)).one().has_blocking  # the DOB flag is still open
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "flag_waived")).all()
        assert len(events) == len(ids)


def test_a_group_with_a_closed_or_foreign_flag_changes_nothing(engine):
    first = add_case(engine, received_at=NOW, flags=(FLAG_KINDS[0], FLAG_KINDS[1]))
    other = add_case(engine, received_at=NOW, flags=(FLAG_KINDS[2],))
    with Session(engine) as session:
        mine = [f.id for f in session.exec(select(Flag).where(Flag.code == "missing_field"))]
    foreign = _flag_ids(engine, "dsl_not_signed")
    with pytest.raises(StoreError):
        close_flags(engine, reference=first, flag_ids=[*mine, *foreign], actor="ene-aio",
                    note="x", waive=False)
    with pytest.raises(StoreError):
        close_flags(engine, reference=first, flag_ids=mine, actor="ene-aio", note=" ",
                    waive=False)
    assert close_flags(engine, reference=first, flag_ids=mine, actor="ene-aio", note="ok",
                       waive=False) == 2
    with Session(engine) as session:
        assert not session.exec(select(Case).where(Case.reference == first)).one().has_blocking
        assert session.exec(select(Case).where(Case.reference == other)).one().has_blocking
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    token = form_token(client, f"/cases/{first}")
    again = client.post(f"/cases/{first}/flags", data={"csrf_token": token, "action": "resolve",
                                                       "flag": mine, "note": "again"})
    assert "already closed" in again.text
