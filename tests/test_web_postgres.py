"""The review UI on PostgreSQL: the dialect-specific SQL (weeks, hours, JSON paths) and
the bulk seeding path, against the session's private cluster."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from bench.seed import FLAG_KINDS, add_case, seed
from intake.web.testing import add_users, form_token, make_app, sign_in
from models.db import migrate

pytestmark = pytest.mark.postgres


def test_pages_and_figures_on_postgresql(pg_engine):
    migrate(pg_engine)
    seed(pg_engine, cases=300)
    add_users(pg_engine)
    reference = add_case(pg_engine, received_at=datetime.now(UTC) - timedelta(days=1),
                         flags=(FLAG_KINDS[0],))
    manager = sign_in(TestClient(make_app(pg_engine)), "manager")
    for path in ("/queue", "/queue?status=part3", "/queue?status=done", "/queue?status=",
                 "/log", "/log?since=", "/log?since=&flag=late_referral&late=yes",
                 f"/cases/{reference}"):
        assert manager.get(path).status_code == 200, path
    page = manager.get("/log?since=").text
    assert re.search(r"Median time from receipt to complete:</strong>\s*[\d.]+ (days|hours)", page)
    assert re.search(r"Download these (\d+) messages", page)
    rows = list(csv.DictReader(io.StringIO(manager.get("/log.csv?since=&mailbox=south").text)))
    assert rows and all(r["mailbox"] == "south" for r in rows)

    aio = sign_in(TestClient(make_app(pg_engine)), "ene-aio")
    html = aio.get(f"/cases/{reference}").text
    flag_id = re.search(rf'action="/cases/{reference}/flags/(\d+)"', html).group(1)
    token = form_token(aio, f"/cases/{reference}")
    done = aio.post(f"/cases/{reference}/flags/{flag_id}", data={
        "action": "resolve", "note": "Checked", "csrf_token": token})
    assert "The flag is resolved." in done.text
    assert reference in aio.get("/queue?status=part3").text
