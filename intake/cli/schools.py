"""``cme-intake schools …``: the council's copy of the DfE school register (issue 13).

``import`` reads a "Get Information about Schools" establishment extract and says what
changed; ``areas`` gives the stored schools the areas the current settings say (``--check``
only lists the council's schools that have none); ``find`` looks a school up for staff.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from intake.cli.app import ConfigOption, app, engine_from, fail, iso_date, settings_from
from parsers.errors import ConfigError, IntakeError, UnreadableDocument

schools_app = typer.Typer(help="The council's school register (DfE Get Information about "
                               "Schools extract).", no_args_is_help=True)
app.add_typer(schools_app, name="schools")

FIND_COLUMNS = ["urn", "dfe_number", "name", "type", "area", "status", "postcode",
                "establishment_type"]


def _configured(config: Path | None) -> Any:
    settings = settings_from(config)
    if not settings.schools_configured:
        raise fail("no [schools] section in the configuration: the register is off", 2)
    return settings


@schools_app.command("import")
def import_extract(
    path: Annotated[Path, typer.Argument(help="edubasealldataYYYYMMDD.csv, as downloaded.")],
    extract_date: Annotated[str | None, typer.Option(
        "--date", help="Extract date, YYYY-MM-DD (default: from the file name).")] = None,
    all_las: Annotated[bool, typer.Option(
        "--all-las", help="Keep every LA's schools, not only schools.la_codes.")] = False,
    config: ConfigOption = None,
) -> None:
    """Import (or update from) a register extract and print what changed."""
    from intake.school_register import import_register

    settings = _configured(config)
    engine = engine_from(settings)
    try:
        report = import_register(engine, path, settings, all_las=all_las,
                                 extract_date=iso_date(extract_date))
    except ConfigError as exc:
        raise fail(exc.reason, 2) from None
    except UnreadableDocument as exc:
        raise fail(f"{path.name}: {exc.reason}", 3) from None
    except IntakeError as exc:
        raise fail(exc.reason) from None
    for line in report.lines():
        typer.echo(line)
    typer.echo("a running daemon uses the new register once restarted")


@schools_app.command("areas")
def areas(
    check: Annotated[bool, typer.Option(
        "--check", help="Only list the council's schools with no area (exit 1 if any).")] = False,
    config: ConfigOption = None,
) -> None:
    """Give the stored schools the areas the settings say, then list those with none."""
    from intake.cli.show import emit_rows
    from intake.school_register import remap
    from models.schools import schools_without_area

    settings = _configured(config)
    engine = engine_from(settings)
    try:
        if not check:
            changed, stale = remap(engine, settings)
            typer.echo(f"{changed} school(s) given a new area")
            if stale:
                typer.echo(f"{stale} school(s) were imported with another area_column: "
                           "import the extract again", err=True)
    except ConfigError as exc:
        raise fail(exc.reason, 2) from None
    missing = schools_without_area(engine, la_codes=settings.schools.la_codes)
    rows = [{"urn": s.urn, "dfe_number": f"{s.la_code}/{s.establishment_number}"
             if s.establishment_number else None, "name": s.name, "status": s.status,
             settings.schools.area_column: s.area_key} for s in missing]
    emit_rows(rows, ["urn", "dfe_number", "name", "status", settings.schools.area_column],
              "table", title="Open schools with no area")
    if check and missing:
        raise typer.Exit(1)


@schools_app.command("find")
def find(
    text: Annotated[str, typer.Argument(help="A DfE number (383/2041), URN or school name.")],
    limit: Annotated[int, typer.Option(help="At most this many schools.")] = 10,
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    config: ConfigOption = None,
) -> None:
    """Look a school up in the register, as the matcher would (nearest names last)."""
    from intake.cli.show import emit_rows
    from intake.school_register import directory_for

    if output not in ("table", "csv", "json"):
        raise fail("--format must be table, csv or json", 2)
    settings = _configured(config)
    directory = directory_for(settings, engine_from(settings))
    if directory is None:
        raise fail("no school register imported: run `cme-intake schools import FILE`")
    found = directory.find(text, limit=limit)
    rows = [{"urn": s.urn, "dfe_number": s.dfe_number, "name": s.name, "type": s.type,
             "area": s.area, "status": s.status, "postcode": s.postcode,
             "establishment_type": s.establishment_type} for s in found]
    emit_rows(rows, FIND_COLUMNS, output, title=f"Schools for {text!r}")
    if not rows:
        raise typer.Exit(1)
