"""``cme-intake``: a thin command-line skin over the pipeline, the store and the queries.

Heavy modules (sqlmodel, spaCy, FastAPI) are imported inside the commands that use them,
so ``cme-intake parse form.docx`` stays quick. Errors are one line on stderr, never a
traceback: exit 2 for a usage error, 3 when a file cannot be read at all, 1 otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from intake.cli.app import (
    ConfigOption,
    app,
    engine_from,
    fail,
    iso_date,
    mailbox_option,
    rule_settings,
    settings_from,
)
from parsers.errors import IntakeError


# ---------------------------------------------------------------------------- parse
@app.command()
def parse(
    path: Annotated[Path, typer.Argument(help="An .eml, .docx, .doc or .pdf file.")],
    mailbox: Annotated[str | None, typer.Option(help="Mailbox it arrived in: cme, ene, wnw, south.",
                                                callback=mailbox_option)] = None,
    received: Annotated[str | None, typer.Option(help="Date received, YYYY-MM-DD (default: the "
                                                 "email's Date header, else today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON (the spec's schema).")] = False,
    config: ConfigOption = None,
) -> None:
    """Read one file and print its referral record with flags. Writes nothing."""
    from intake.core.pipeline import parse_document, parse_message

    received_on = iso_date(received)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}", 3) from None
    settings = rule_settings(settings_from(config)) if config else None
    extra = {"settings": settings} if settings else {}
    try:
        if _is_email(path, content):
            parsed = parse_message(content, mailbox=mailbox, received_on=received_on, **extra)
        else:
            parsed = parse_document(content, filename=path.name, mailbox=mailbox,
                                    received_on=received_on, **extra)
    except IntakeError as exc:
        raise fail(f"{path.name}: {exc.reason}", 3) from None
    record = parsed.record
    if not parsed.message_id and len(parsed.documents) == 1:
        document = parsed.documents[0]
        if document.problem:
            raise fail(f"{path.name}: {document.problem}", 3)
        if document.extraction == "none":
            raise fail(f"{path.name}: unsupported file type ({document.media_type}): "
                       "give an .eml, .docx, .doc or .pdf file", 3)
    if as_json:
        typer.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    from intake.cli.show import print_record

    print_record(record)


def _is_email(path: Path, content: bytes) -> bool:
    if path.suffix.lower() in (".eml", ".msg.eml"):
        return True
    from parsers.sniff import EML, sniff

    return sniff(content[:65536], path.name) == EML


# ---------------------------------------------------------------------------- ingest
@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files (.eml, .docx, .pdf), folders or Maildirs.")],
    mailbox: Annotated[str, typer.Option(help="Mailbox to record them under.", callback=mailbox_option)] = "cme",
    config: ConfigOption = None,
) -> None:
    """Store referrals from files into the case database, with a progress bar and a summary."""
    from intake.cli.ingest_files import ingest_paths

    settings = settings_from(config)
    engine = engine_from(settings)
    code = ingest_paths(engine, paths, mailbox=mailbox, settings=rule_settings(settings))
    raise typer.Exit(code)


# ---------------------------------------------------------------------------- queries
@app.command("log")
def intake_log(
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to and including this date.")] = None,
    mailbox: Annotated[str | None, typer.Option(callback=mailbox_option)] = None,
    area: Annotated[str | None, typer.Option(help="central, ENE, WNW or South.")] = None,
    school: Annotated[str | None, typer.Option(help="School name contains this.")] = None,
    status: Annotated[str | None, typer.Option(help="ingested, threaded, no_referral_form, failed.")] = None,
    flag: Annotated[str | None, typer.Option(help="Only messages whose case has this open flag code.")] = None,
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    config: ConfigOption = None,
) -> None:
    """The intake log: one entry per message received, oldest first."""
    from intake.cli.show import emit_rows
    from models.db import session_scope
    from models.queries import intake_log as query

    if output not in ("table", "csv", "json"):
        raise fail("--format must be table, csv or json", 2)
    engine = engine_from(settings_from(config))
    with session_scope(engine, readonly=True) as session:
        rows = query(session, since=iso_date(since), until=iso_date(until), mailbox=mailbox,
                     area=area, school=school, status=status, flag=flag)
    columns = ["received_at", "mailbox", "message_id", "from", "subject", "status", "case",
               "open_flags", "outcome", "closed_at", "days_to_close"]
    emit_rows(rows, columns, output, title="Intake log")


@app.command()
def cases(
    area: Annotated[str | None, typer.Option(help="central, ENE, WNW or South.")] = None,
    status: Annotated[str | None, typer.Option(help="open, complete or closed.")] = None,
    school: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
) -> None:
    """Cases in queue order: open blocking flags first, then oldest."""
    from intake.cli.show import emit_rows
    from models.db import session_scope
    from models.queries import list_cases

    engine = engine_from(settings_from(config))
    with session_scope(engine, readonly=True) as session:
        rows = list_cases(session, area=area, status=status, school=school, limit=limit)
    columns = ["reference", "received_at", "area", "school", "status", "open_flags", "outcome",
               "closed_at", "days_to_close"]
    emit_rows(rows, columns, "json" if as_json else "table", title="Cases")


@app.command()
def show(
    reference: Annotated[str, typer.Argument(help="Case reference, e.g. CME-2026-000001.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
) -> None:
    """One case: its record, flags and messages (the view is audited)."""
    from intake.cli.show import print_case
    from models.db import session_scope
    from models.queries import get_case
    from models.store import audit

    engine = engine_from(settings_from(config))
    with session_scope(engine, readonly=True) as session:
        case = get_case(session, reference)
    if case is None:
        raise fail(f"no case {reference}", 1)
    audit(engine, actor=_cli_actor(), action="case_viewed", case_id=case["id"], detail={"via": "cli"})
    if as_json:
        typer.echo(json.dumps(case, indent=2, default=str, ensure_ascii=False))
    else:
        print_case(case)


@app.command()
def flags(
    open_only: Annotated[bool, typer.Option("--open/--all", help="Only open flags (default).")] = True,
    area: Annotated[str | None, typer.Option(help="central, ENE, WNW or South.")] = None,
    code: Annotated[str | None, typer.Option(help="Only this flag code.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOption = None,
) -> None:
    """Flags across cases, each with who must be chased."""
    from intake.cli.show import emit_rows
    from models.db import session_scope
    from models.queries import list_flags

    engine = engine_from(settings_from(config))
    with session_scope(engine, readonly=True) as session:
        rows = list_flags(session, open_only=open_only, area=area, code=code)
    columns = ["case", "code", "severity", "field", "follow_up_with", "status", "message"]
    emit_rows(rows, columns, "json" if as_json else "table", title="Flags")


def _cli_actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001
        return "cli"
