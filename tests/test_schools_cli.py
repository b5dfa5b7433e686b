"""``cme-intake schools import | areas | find``: the staff's commands over a real SQLite file."""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from intake.cli import app
from tests.fixtures import gen_gias

runner = CliRunner()


def _config(tmp_path, extra: str = "") -> str:
    areas = "\n".join(f'"{d}" = "{a}"' for d, a in gen_gias.AREA_MAP.items())
    path = tmp_path / "cme-intake.toml"
    path.write_text('[database]\nurl = "sqlite:///cases.db"\n\n[schools]\nla_codes = ["383", '
                    f'"384"]\n{extra}\n[schools.area_map]\n{areas}\n')
    return str(path)


def test_import_areas_and_find(tmp_path):
    config = _config(tmp_path)
    rows = gen_gias.council_extract()
    first = gen_gias.write_extract(tmp_path, rows, date(2026, 9, 1))
    result = runner.invoke(app, ["schools", "import", str(first), "--config", config])
    assert result.exit_code == 0, result.output
    assert "extract 2026-09-01: 409 rows read, 369 kept; 369 added" in result.output
    later_rows = gen_gias.next_extract(rows)[0]
    later = gen_gias.write_extract(tmp_path, later_rows, date(2026, 12, 1))
    result = runner.invoke(app, ["schools", "import", str(later), "--config", config])
    assert result.exit_code == 0 and "converted to academy: " in result.output
    check = runner.invoke(app, ["schools", "areas", "--check", "--config", config])
    assert check.exit_code == 1 and "Open schools with no area" in check.output
    overrides = tmp_path / "moved.csv"
    unmapped = [r for r in later_rows if r.district == gen_gias.UNMAPPED_DISTRICT]
    overrides.write_text("URN,area\n" + "".join(f"{r.urn},South\n" for r in unmapped))
    config = _config(tmp_path, f'overrides_file = "{overrides.name}"')
    remapped = runner.invoke(app, ["schools", "areas", "--config", config])
    assert remapped.exit_code == 0 and "school(s) given a new area" in remapped.output
    assert runner.invoke(app, ["schools", "areas", "--check", "--config", config]).exit_code == 0
    found = runner.invoke(app, ["schools", "find", "Kettlewick High", "--format", "json",
                                "--config", config])
    assert found.exit_code == 0
    (school, *_) = json.loads(found.stdout)
    assert school | {"postcode": None} == {
        "urn": "108135", "dfe_number": "383/4102", "name": "Kettlewick High School",
        "type": "maintained", "area": "South", "status": "Open", "postcode": None,
        "establishment_type": "Community school"}


def test_refusals_are_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[schools]\nla_code = ["383"]\n')
    result = runner.invoke(app, ["schools", "find", "x", "--config", str(bad)])
    assert result.exit_code == 2 and "did you mean la_codes" in result.output
    plain = tmp_path / "plain.toml"
    plain.write_text('[database]\nurl = "sqlite:///cases.db"\n')
    result = runner.invoke(app, ["schools", "find", "x", "--config", str(plain)])
    assert result.exit_code == 2 and "no [schools] section" in result.output
    config = _config(tmp_path)
    not_csv = tmp_path / "edubasealldata20260901.csv"
    not_csv.write_text("Surname,Forenames\nQuenby,Ilsa\n")
    result = runner.invoke(app, ["schools", "import", str(not_csv), "--config", config])
    assert result.exit_code == 3 and "not a DfE establishment extract" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["schools", "find", "x", "--config", config])
    assert result.exit_code == 1 and "no school register imported" in result.output
