"""Every page and permission rule of the review UI, over a real SQLite database.

Cases are inserted directly (bench.seed's builders: the same rows the store writes), so
these tests do not depend on the parsers; tests/test_web_ingest.py goes through the store.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bench.seed import FLAG_KINDS, FORM_BYTES, add_case, add_message
from intake.web.testing import add_users, form_token, make_app, migrated_engine, sign_in
from models.reports import audit_rows
from models.tables import AuditEvent, Case, Flag

MISSING_DOB, MISSING_LAST, DSL_UNSIGNED, NO_UPN, NO_VISIT, LATE, RISK = FLAG_KINDS
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One database for the read-only tests: cases in every area, stray messages, users."""
    engine = migrated_engine(tmp_path_factory.mktemp("web") / "web.db")
    add_users(engine)
    refs = {
        "ene_old": add_case(engine, area="ENE", mailbox="ene", surname="Ashdown",
                            received_at=NOW - timedelta(days=20), flags=(NO_UPN,)),
        "ene_blocking": add_case(engine, area="ENE", mailbox="ene", surname="Brightwell",
                                 received_at=NOW - timedelta(days=5),
                                 flags=(MISSING_DOB, DSL_UNSIGNED, NO_VISIT)),
        "ene_risky": add_case(engine, area="ENE", mailbox="ene", surname="Calloway",
                              received_at=NOW - timedelta(days=5), flags=(MISSING_LAST,),
                              risk_indicators=("neglect",)),
        "south": add_case(engine, area="South", mailbox="south", surname="Dunmore",
                          school="Riverside Infant School", received_at=NOW - timedelta(days=3),
                          flags=(MISSING_DOB, LATE)),
        "central": add_case(engine, area="central", mailbox="cme", surname="Everleigh",
                            school="Oakridge Academy", school_type="academy",
                            received_at=NOW - timedelta(days=2), flags=(MISSING_DOB,)),
    }
    add_message(engine, mailbox="wnw", received_at=NOW - timedelta(days=1),
                status="no_referral_form", flag_codes=",no_referral_form,")
    add_message(engine, mailbox="south", received_at=NOW - timedelta(days=1), status="failed",
                error="MalformedMessage: not an email")
    return engine, refs


@pytest.fixture(scope="module")
def app(world):
    return make_app(world[0])


@pytest.fixture(scope="module")
def clients(app):
    return {name: sign_in(TestClient(app), name)
            for name in ("ene-aio", "south-aio", "manager", "admin")}


def references_in(html: str) -> list[str]:
    return re.findall(r'<a href="/cases/(CME-\d{4}-\d{6})">', html)


# --- queue ---------------------------------------------------------------------------------

def test_aio_queue_lists_only_their_area_blocking_first(clients, world):
    _, refs = world
    html = clients["ene-aio"].get("/queue").text
    listed = references_in(html)
    assert listed == [refs["ene_risky"], refs["ene_blocking"]]  # same age: risk first
    assert refs["south"] not in html and refs["central"] not in html
    assert "Brightwell" in html


def test_queue_orders_blocking_then_age_then_risk(clients, world):
    _, refs = world
    listed = references_in(clients["manager"].get("/queue?status=").text)
    assert listed[:2] == [refs["ene_risky"], refs["ene_blocking"]]
    assert listed.index(refs["ene_old"]) == len(listed) - 1  # no blocking flag: last
    assert listed.index(refs["ene_blocking"]) < listed.index(refs["south"])  # older first


def test_risk_breaks_a_tie_of_age(tmp_path):
    engine = migrated_engine(tmp_path / "tie.db")
    add_users(engine)
    when = NOW - timedelta(days=4)
    calm = add_case(engine, surname="Fairbank", received_at=when)
    risky = add_case(engine, surname="Greythorn", received_at=when, risk_indicators=("neglect",))
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    assert references_in(client.get("/queue").text) == [risky, calm]


def test_manager_sees_every_area(clients, world):
    _, refs = world
    html = clients["manager"].get("/queue?status=").text
    assert set(refs.values()) <= set(references_in(html))


@pytest.mark.parametrize("query, expected", [
    ("area=South", ["south"]),
    ("school=oakridge", ["central"]),
    ("flag=late_referral", ["south"]),
    ("flag=missing_recommended&status=", ["ene_old"]),
    ("status=part3", ["ene_old"]),
    (f"received_from={(NOW - timedelta(days=3)).date()}", ["south", "central"]),
    (f"received_to={(NOW - timedelta(days=4)).date()}&status=", ["ene_blocking", "ene_risky",
                                                                 "ene_old"]),
])
def test_queue_filters(clients, world, query, expected):
    _, refs = world
    listed = references_in(clients["manager"].get(f"/queue?{query}").text)
    assert sorted(listed) == sorted(refs[name] for name in expected)


def test_queue_csv_is_scoped_and_matches_the_filter(clients, world):
    _, refs = world
    response = clients["ene-aio"].get("/queue.csv?status=")
    assert response.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["reference"] for r in rows} == {refs["ene_old"], refs["ene_blocking"],
                                              refs["ene_risky"]}
    south = clients["ene-aio"].get("/queue.csv?area=South&status=").text
    assert refs["south"] not in south


def test_queue_has_accessible_structure(clients):
    html = clients["ene-aio"].get("/queue").text
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert html.count("<h1>") == 1
    assert '<th scope="col">Reference</th>' in html and '<th scope="row">' in html
    for control in ("area", "status", "school", "flag", "received_from", "received_to"):
        assert f'<label for="f-{control}">' in html and f'id="f-{control}"' in html


# --- case page -----------------------------------------------------------------------------

def test_aio_gets_403_for_a_case_of_another_area(clients, world):
    _, refs = world
    client = clients["ene-aio"]
    assert client.get(f"/cases/{refs['south']}").status_code == 403
    assert client.get(f"/cases/{refs['south']}/documents/0").status_code == 403
    assert client.get("/cases/CME-2026-999999").status_code == 404
    assert clients["south-aio"].get(f"/cases/{refs['south']}").status_code == 200


def test_aio_cannot_see_the_log_or_the_audit_trail(clients):
    for path in ("/log", "/log.csv", "/audit", "/audit.csv"):
        assert clients["ene-aio"].get(path).status_code == 403, path
    for path in ("/audit", "/audit.csv"):
        assert clients["manager"].get(path).status_code == 403, path


def test_case_page_by_part_with_sources(clients, world):
    _, refs = world
    html = clients["ene-aio"].get(f"/cases/{refs['ene_blocking']}").text
    positions = [html.index(h) for h in (
        "<h3>Pupil</h3>", "<h3>Parents and carers</h3>", "<h3>Siblings</h3>", "<h3>School</h3>",
        "<h3>Attendance</h3>", "<h3>Referral grounds</h3>",
        "<h3>Information provided by the family</h3>", "<h3>Enquiries made before referral</h3>",
        "<h3>Roll and who completed Part 1</h3>", "Part 2: safeguarding", "Part 3: AIO")]
    assert positions == sorted(positions)
    assert re.search(r'Brightwell\s*<a class="source" href="/cases/[^/]+/documents/0"', html)
    assert "source: CME referral form.pdf, page 1, field Surname" in html
    assert "Not given" in html


def test_flags_grouped_by_who_to_chase_with_drafts(clients, world):
    _, refs = world
    html = clients["ene-aio"].get(f"/cases/{refs['ene_blocking']}").text
    assert "Chase: Part 1 contact – Pat Example" in html
    assert "Chase: Designated Safeguarding Lead – Robin Sample" in html
    part1_draft = re.search(r"Dear Pat Example,.*?Attendance Improvement Officer", html, re.S)
    assert part1_draft and "date of birth is missing" in part1_draft.group(0)
    assert "No home visit is recorded." in part1_draft.group(0)
    assert "DSL" not in part1_draft.group(0)
    dsl_draft = re.search(r"Dear Robin Sample,.*?Attendance Improvement Officer", html, re.S)
    assert dsl_draft and "Part 2 is not signed" in dsl_draft.group(0)
    assert "date of birth" not in dsl_draft.group(0)
    assert 'href="mailto:attendance%40school.example.org?subject=' in html


def test_case_views_are_audited(clients, world):
    engine, refs = world
    clients["manager"].get(f"/cases/{refs['central']}")
    with Session(engine) as db:
        case_id = db.exec(select(Case.id).where(Case.reference == refs["central"])).one()
        events = db.exec(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                  AuditEvent.action == "case_viewed")).all()
    assert [e.actor for e in events][-1] == "manager"


def test_downloads_are_attachments_and_audited(clients, world):
    engine, refs = world
    client = clients["south-aio"]
    response = client.get(f"/cases/{refs['south']}/documents/0")
    assert response.status_code == 200 and response.content == FORM_BYTES
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="CME referral form.pdf"')
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page = client.get(f"/cases/{refs['south']}").text
    email_link = re.search(r'href="(/cases/[^"]+/messages/\d+/original)"', page).group(1)
    email = client.get(email_link)
    assert email.content.startswith(b"Message-ID:")
    assert email.headers["content-disposition"].startswith("attachment")
    assert client.get(f"/cases/{refs['south']}/documents/7").status_code == 404
    with Session(engine) as db:
        actions = {e.action for e in db.exec(select(AuditEvent).where(
            AuditEvent.actor == "south-aio"))}
    assert {"document_downloaded", "email_downloaded"} <= actions


# --- changes -------------------------------------------------------------------------------

@pytest.fixture()
def fresh(tmp_path):
    engine = migrated_engine(tmp_path / "change.db")
    add_users(engine)
    reference = add_case(engine, flags=(MISSING_DOB, NO_VISIT))
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    return engine, reference, client


def flag_ids(engine, reference):
    with Session(engine) as db:
        case_id = db.exec(select(Case.id).where(Case.reference == reference)).one()
        return {f.code: f.id for f in db.exec(select(Flag).where(Flag.case_id == case_id))}


def test_resolve_needs_a_note_and_the_token(fresh):
    engine, reference, client = fresh
    flag = flag_ids(engine, reference)["missing_field"]
    token = form_token(client, f"/cases/{reference}")
    url = f"/cases/{reference}/flags/{flag}"
    assert client.post(url, data={"action": "resolve", "note": "x"}).status_code == 403
    response = client.post(url, data={"action": "resolve", "note": " ", "csrf_token": token})
    assert "Write a note" in response.text


def test_resolve_and_waive_flags_then_complete_part3(fresh):
    engine, reference, client = fresh
    ids = flag_ids(engine, reference)
    token = form_token(client, f"/cases/{reference}")
    blocked = client.post(f"/cases/{reference}/part3", data={
        "aio_name": "ene-aio", "sections_complete": "yes", "csrf_token": token})
    assert "Resolve or waive the blocking flags" in blocked.text
    page = client.post(f"/cases/{reference}/flags/{ids['missing_field']}", data={
        "action": "resolve", "note": "DOB confirmed by phone", "csrf_token": token})
    assert "The flag is resolved." in page.text
    assert reference not in client.get("/queue").text  # no blocking flag: left the queue
    assert reference in client.get("/queue?status=part3").text
    page = client.post(f"/cases/{reference}/flags/{ids['enquiry_not_done']}", data={
        "action": "waive", "note": "Visit not possible", "csrf_token": token})
    assert "The flag is waived." in page.text
    page = client.post(f"/cases/{reference}/part3", data={
        "aio_name": "ene-aio", "date_allocated": "2026-03-03", "sections_complete": "yes",
        "notes": "All chased.", "csrf_token": token})
    assert "has left the queue" in page.text
    assert reference not in client.get("/queue?status=part3").text
    assert reference in client.get("/queue?status=done").text
    with Session(engine) as db:
        case = db.exec(select(Case).where(Case.reference == reference)).one()
        assert case.record["aio"] == {"name": "ene-aio", "date_allocated": "2026-03-03",
                                      "sections_complete": True, "notes": "All chased."}
        flags = {f.code: f for f in db.exec(select(Flag).where(Flag.case_id == case.id))}
    assert flags["missing_field"].status == "resolved"
    assert flags["missing_field"].note == "DOB confirmed by phone"
    assert flags["enquiry_not_done"].status == "waived"
    actions = [r["action"] for r in audit_rows(Session(engine), case=reference)]
    assert {"flag_resolved", "flag_waived", "part3_updated", "case_viewed"} <= set(actions)


def test_aio_cannot_change_a_case_of_another_area(fresh):
    engine, reference, _ = fresh
    south = sign_in(TestClient(make_app(engine)), "south-aio")
    token = form_token(south, "/queue")
    flag = flag_ids(engine, reference)["missing_field"]
    assert south.post(f"/cases/{reference}/flags/{flag}", data={
        "action": "resolve", "note": "x", "csrf_token": token}).status_code == 403
    assert south.post(f"/cases/{reference}/part3", data={
        "aio_name": "south-aio", "csrf_token": token}).status_code == 403


def test_flag_of_another_case_is_404(fresh):
    engine, reference, client = fresh
    other = add_case(engine, flags=(MISSING_DOB,))
    flag = flag_ids(engine, other)["missing_field"]
    token = form_token(client, f"/cases/{reference}")
    assert client.post(f"/cases/{reference}/flags/{flag}", data={
        "action": "resolve", "note": "x", "csrf_token": token}).status_code == 404


# --- manager log ---------------------------------------------------------------------------

def log_rows(client, query):
    return list(csv.DictReader(io.StringIO(client.get(f"/log.csv?{query}").text)))


def test_log_lists_every_message_with_figures(clients, world):
    html = clients["manager"].get("/log").text
    assert "no referral form" in html and "failed" in html and "not an email" in html
    assert '<svg class="chart" role="img"' in html
    assert "Messages received per week by area" in html
    assert "Open flags by age" in html and "0–7 days" in html


@pytest.mark.parametrize("query, count", [
    ("since=", 7), ("mailbox=south&since=", 2), ("status=failed&since=", 1),
    ("flag=late_referral&since=", 1), ("late=yes&since=", 1), ("late=no&since=", 6),
    ("flag=no_referral_form&since=", 1), ("school=riverside&since=", 1),
])
def test_log_csv_rows_match_the_filter(clients, query, count):
    rows = log_rows(clients["manager"], query)
    assert len(rows) == count
    page = clients["manager"].get(f"/log?{query}").text
    assert f"Download these {count} messages as CSV" in page


def test_log_default_period_is_carried_into_the_export_link(clients):
    html = clients["manager"].get("/log").text
    link = re.search(r'href="/log.csv\?([^"]+)"', html).group(1)
    assert "since=" in link and "since=&" not in link


def test_csv_cells_cannot_run_as_spreadsheet_formulas(tmp_path):
    from intake.web.pages import csv_text

    text = csv_text(("a",), [["=HYPERLINK(\"x\")"], ["@SUM(1)"], ["plain"]])
    assert text.splitlines()[1:] == ["\"'=HYPERLINK(\"\"x\"\")\"", "'@SUM(1)", "plain"]


# --- audit ---------------------------------------------------------------------------------

def test_admin_views_and_exports_the_audit_trail(clients, world):
    engine, refs = world
    clients["manager"].get(f"/cases/{refs['ene_old']}")
    html = clients["admin"].get(f"/audit?case={refs['ene_old']}&actor=manager").text
    assert "case viewed" in html and refs["ene_old"] in html
    rows = list(csv.DictReader(io.StringIO(clients["admin"].get(
        f"/audit.csv?case={refs['ene_old']}").text)))
    assert rows and all(r["case"] == refs["ene_old"] for r in rows)
    with Session(engine) as db:
        everything = audit_rows(db)
        assert any(r["action"] == "login" for r in everything)
        assert audit_rows(db, actor="nobody") == []
        tomorrow = (NOW + timedelta(days=1)).date()
        assert audit_rows(db, since=tomorrow) == []
        assert audit_rows(db, until=tomorrow) == audit_rows(db)


def test_chart_is_an_accessible_svg_with_whole_ticks():
    from datetime import date

    from intake.web.charts import stacked_weekly_bars

    svg = str(stacked_weekly_bars({date(2026, 3, 2): {"ENE": 3, "South": 2},
                                   date(2026, 3, 9): {"ENE": 1}}, ("ENE", "South"),
                                  title="New referrals per week by area"))
    assert svg.startswith('<svg class="chart" role="img" aria-labelledby="chart-title')
    assert "<title>ENE, week of 02 Mar 2026: 3</title>" in svg
    ticks = re.findall(r'text-anchor="end" font-size="12" fill="#0b0c0c">(\d+)<', svg)
    assert ticks == ["0", "2", "4", "6", "8"]
    assert "<script" not in svg and "style=" not in svg
