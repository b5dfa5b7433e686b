"""The audit trail reads well (newest first, UK local time, one view per minute) and the
weekly figures show empty weeks (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bench.seed import FLAG_KINDS, add_case
from intake.web.testing import add_users, make_app, migrated_engine, sign_in
from models.tables import AuditEvent


def test_a_reload_within_a_minute_is_one_view_and_the_trail_is_newest_first(tmp_path):
    engine = migrated_engine(tmp_path / "audit.db")
    add_users(engine)
    summer = datetime(2026, 7, 1, 11, 30, tzinfo=UTC)
    reference = add_case(engine, received_at=summer, flags=(FLAG_KINDS[0],))
    app = make_app(engine)
    aio = sign_in(TestClient(app), "ene-aio")
    for _ in range(3):
        assert aio.get(f"/cases/{reference}").status_code == 200
    with Session(engine) as session:
        views = session.exec(select(AuditEvent).where(AuditEvent.action == "case_viewed")).all()
        assert len(views) == 1
        views[0].at = views[0].at - timedelta(minutes=2)
        session.add(AuditEvent(at=summer, actor="ene-aio", action="flag_resolved",
                               case_id=views[0].case_id, detail={}))
        session.commit()
    aio.get(f"/cases/{reference}")
    admin = sign_in(TestClient(app), "admin")
    html = admin.get(f"/audit?case={reference}").text
    assert "When (UK time, newest first)" in html
    assert html.index("case viewed") < html.index("01 Jul 2026 12:30:00")  # BST, oldest last
    with Session(engine) as session:
        assert len(session.exec(select(AuditEvent).where(
            AuditEvent.action == "case_viewed")).all()) == 2


def test_the_weekly_figures_show_empty_weeks():
    from datetime import date

    from models.reports import with_empty_weeks

    weeks = {date(2026, 3, 2): {"ENE": 2}, date(2026, 3, 23): {"South": 1}}
    filled = with_empty_weeks(weeks)
    assert list(filled) == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16),
                            date(2026, 3, 23)]
    assert filled[date(2026, 3, 9)] == {} and filled[date(2026, 3, 23)] == {"South": 1}
    assert list(with_empty_weeks({}, like=weeks)) == list(filled)
    assert with_empty_weeks({}) == {}
