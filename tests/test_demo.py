"""`make demo`'s path: the embedded samples in Maildirs, the daemon once, the log and flags."""

import json

from typer.testing import CliRunner

from intake.cli import app

runner = CliRunner()


def test_demo_ingests_every_sample_exactly_once(tmp_path):
    setup = runner.invoke(app, ["demo-setup", str(tmp_path / "demo")])
    assert setup.exit_code == 0, setup.output
    config = str(tmp_path / "demo" / "cme-intake.toml")
    for _ in range(2):  # running again finds nothing new
        run = runner.invoke(app, ["run", "--once", "--config", config])
        assert run.exit_code == 0, run.output
    rows = json.loads(runner.invoke(app, ["log", "--format", "json", "--config", config]).stdout)
    assert len(rows) == 8
    assert {row["mailbox"] for row in rows} == {"cme", "ene", "wnw", "south"}
    statuses = sorted(row["status"] for row in rows)
    assert statuses.count("ingested") == 7 and "no_referral_form" in statuses
    assert all(row["received_at"].startswith("2026-11-02") for row in rows)  # their own Date
    assert any("misrouted" in row["open_flags"] for row in rows)
    flags = runner.invoke(app, ["flags", "--open", "--config", config])
    assert flags.exit_code == 0 and "Flags" in flags.stdout
