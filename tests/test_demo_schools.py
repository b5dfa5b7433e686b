"""`make demo` ships a small school register: each sample's school is matched in it, and a
maintained school's form sent to another area's mailbox is flagged naming its team."""

from __future__ import annotations

from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli import app
from models.db import make_engine
from models.tables import Case
from tests.fixtures import gen_gias

runner = CliRunner()


def test_demo_matches_every_sample_school_and_shows_a_misrouted_maintained_school(tmp_path):
    assert runner.invoke(app, ["demo-setup", str(tmp_path / "demo")]).exit_code == 0
    config = str(tmp_path / "demo" / "cme-intake.toml")
    run = runner.invoke(app, ["run", "--once", "--config", config])
    assert run.exit_code == 0, run.output
    engine = make_engine(f"sqlite:///{tmp_path / 'demo' / 'cases.db'}")
    with Session(engine) as db:
        cases = db.exec(select(Case)).all()
    engine.dispose()
    assert len(cases) == 7
    assert all(c.record["school"]["register"] for c in cases), [c.school_name for c in cases]
    harrowby = next(c for c in cases if c.school_name.startswith("Harrowby"))
    assert harrowby.mailbox == "wnw" and harrowby.misrouted
    assert any("it belongs to the South area attendance team" in f["message"]
               for f in harrowby.record["flags"] if f["code"] == "misrouted")
    found = runner.invoke(app, ["schools", "find", "383/2041", "--format", "json",
                                "--config", config])
    assert found.exit_code == 0 and "Northfield Community Primary School" in found.stdout


def test_the_shipped_demo_register_is_what_the_generator_writes(tmp_path):
    written = gen_gias.write_demo(tmp_path)
    for path in written:
        assert path.read_bytes() == (gen_gias.DEMO_FOLDER / path.name).read_bytes(), path.name
