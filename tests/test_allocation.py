"""Allocation: one case from its page, many from the queue, My cases and the unallocated
summary per area and age (issue 14)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bench.seed import FLAG_KINDS, add_case
from intake.web.testing import add_users, form_token, make_app, migrated_engine, sign_in
from models.queries_my import unallocated
from models.store_allocation import allocate
from models.tables import AuditEvent, Case
from parsers.errors import StoreError

NOW = datetime.now(UTC).replace(microsecond=0)
REFERENCE = re.compile(r"CME-\d{4}-\d{6}")


@pytest.fixture()
def engine(tmp_path):
    engine = migrated_engine(tmp_path / "allocation.db")
    add_users(engine)
    return engine


def _cases(engine, *ages: int, area: str = "ENE", mailbox: str = "ene") -> list[str]:
    return [add_case(engine, area=area, mailbox=mailbox, received_at=NOW - timedelta(days=age),
                     flags=(FLAG_KINDS[0],)) for age in ages]


def test_an_aio_lands_on_my_cases_and_allocates_from_the_case_page(engine):
    mine, other = _cases(engine, 3, 4)
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    home = client.get("/")
    assert home.url.path == "/my" and "No case is allocated to you yet." in home.text
    token = form_token(client, f"/cases/{mine}")
    page = client.post(f"/cases/{mine}/allocate", data={"csrf_token": token,
                                                         "aio_name": "ene-aio"})
    assert "The allocation is saved." in page.text
    assert "<strong>Allocated AIO:</strong> ene-aio" in page.text
    assert set(REFERENCE.findall(client.get("/my").text.split("id=\"unallocated\"")[0])) == {mine}
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.reference == mine)).one()
        assert case.aio_name == "ene-aio" and case.record["aio"]["name"] == "ene-aio"
        assert case.record["aio"]["date_allocated"] == datetime.now(UTC).date().isoformat()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "case_allocated")).one()
        assert event.detail["to"] == "ene-aio" and event.detail["from"] is None
    assert other not in client.get("/queue?aio=ene-aio").text
    assert other in client.get("/queue?aio=none").text


def test_bulk_allocation_from_the_queue_is_all_or_nothing_and_area_checked(engine):
    first, second = _cases(engine, 1, 2)
    south, = _cases(engine, 2, area="South", mailbox="south")
    client = sign_in(TestClient(make_app(engine)), "manager")
    token = form_token(client, "/queue")
    done = client.post("/queue/allocate", data={"csrf_token": token, "aio_name": "ene-aio",
                                                "reference": [first, second], "back": "area=ENE"})
    assert done.url.query.decode().startswith("area=ENE") and "2 cases allocated." in done.text
    assert done.text.count(">ene-aio</td>") == 2
    refused = client.post("/queue/allocate", data={"csrf_token": token, "aio_name": "ene-aio",
                                                   "reference": [first, south]})
    assert "outside your areas" in refused.text
    with Session(engine) as session:
        assert session.exec(select(Case.aio_name).where(Case.reference == south)).one() is None
    csv = client.get("/queue.csv?aio=ene-aio").text
    assert set(REFERENCE.findall(csv)) == {first, second}


def test_the_store_refuses_unknown_cases_and_skips_unchanged_ones(engine):
    reference, = _cases(engine, 1)
    with pytest.raises(StoreError):
        allocate(engine, references=[reference, "CME-2026-999999"], aio_name="ene-aio",
                 actor="manager", areas=None)
    assert allocate(engine, references=[reference], aio_name="ene-aio", actor="manager",
                    areas=None) == [reference]
    assert allocate(engine, references=[reference], aio_name="ene-aio", actor="manager",
                    areas=None) == []


def test_managers_see_unallocated_cases_per_area_and_age(engine):
    _cases(engine, 1, 7, 7, 30)
    _cases(engine, 15, area="South", mailbox="south")
    with Session(engine) as session:
        rows = {row.area: row.counts for row in unallocated(session, areas=None, now=NOW)}
        assert rows == {"ENE": (1, 2, 0, 1), "South": (0, 0, 1, 0)}
        assert [r.area for r in unallocated(session, areas=("South",), now=NOW)] == ["South"]
    client = sign_in(TestClient(make_app(engine)), "manager")
    html = client.get("/my").text
    assert "Unallocated cases by area and age" in html and 'area=South">South</a>' in html
