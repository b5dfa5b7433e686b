"""Closing and reopening cases, and purging those past retention (``cme-intake purge``)."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from intake.cli.app import ConfigOption, app, engine_from, fail, settings_from
from parsers.errors import IntakeError


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in a bare container
        return "cli"


@app.command("close")
def close(
    reference: Annotated[str, typer.Argument(help="The case reference, CME-YYYY-NNNNNN.")],
    outcome: Annotated[str, typer.Option("--outcome", help="An outcome code from [retention] "
                                         "outcomes.")],
    school: Annotated[str | None, typer.Option(help="The new school (on_roll_new_school).")] = None,
    la: Annotated[str | None, typer.Option(help="The other LA (moved_la_notified).")] = None,
    notified_on: Annotated[str | None, typer.Option(help="When that LA was notified.")] = None,
    note: Annotated[str | None, typer.Option(help="A note (other).")] = None,
    config: ConfigOption = None,
) -> None:
    """Close a case with its outcome."""
    from models.lifecycle import close_case

    settings = settings_from(config)
    engine = engine_from(settings)
    try:
        close_case(engine, reference=reference, outcome=outcome, actor=_actor(),
                   outcomes=settings.retention.outcomes,
                   particulars={"school": school, "la": la, "notified_on": notified_on,
                                "note": note})
    except IntakeError as exc:
        raise fail(exc.reason) from None
    typer.echo(f"{reference} closed: {outcome}")


@app.command("reopen")
def reopen(reference: Annotated[str, typer.Argument()], config: ConfigOption = None) -> None:
    """Reopen a closed case (audited)."""
    from models.lifecycle import reopen_case

    engine = engine_from(settings_from(config))
    try:
        reopen_case(engine, reference=reference, actor=_actor())
    except IntakeError as exc:
        raise fail(exc.reason) from None
    typer.echo(f"{reference} reopened")


@app.command("purge")
def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what is due; delete nothing.")]
    = False,
    today: Annotated[str | None, typer.Option(help="Judge as of this day (YYYY-MM-DD).")] = None,
    config: ConfigOption = None,
) -> None:
    """Delete every closed case past its retention, one transaction per case."""
    from models.purge import due_cases, purge_case

    settings = settings_from(config)
    engine = engine_from(settings)
    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        raise fail("--today: use YYYY-MM-DD", 2) from None
    due = due_cases(engine, today=day, retention_years=settings.retention.years_after_closure,
                    keep_until_age=settings.retention.keep_until_age)
    removed: set[str] = set()
    for case in due:
        typer.echo(f"{case.reference} closed {case.closed_at.date().isoformat()} "
                   f"({case.outcome or '-'})" + ("" if dry_run else " purged"
                   if purge_case(engine, case_id=case.case_id, actor=_actor(),
                                 removed=removed) else " gone"))
    _forget_pages(settings.web.page_cache_dir, removed)
    typer.echo(f"{len(due)} case(s) {'due' if dry_run else 'purged'}")


def _forget_pages(folder: str | None, removed: set[str]) -> None:
    """The web UI's rendered page images (and their text) of each purged original: the
    cache outside the database must not outlive the case. Hashes another case still holds
    are not in ``removed`` (purge kept their bytes), so their pages stay."""
    from intake.web.form_pages import PageCache, default_cache_dir

    cache = PageCache(Path(folder) if folder else default_cache_dir())
    for sha256 in sorted(removed):
        cache.forget(sha256)


@app.command("export-subject")
def export_subject(
    out: Annotated[Path, typer.Option("--out", "-o", help="The zip to write (mode 0600).")],
    upn: Annotated[str | None, typer.Option(help="The child's UPN.")] = None,
    surname: Annotated[str | None, typer.Option(help="With --forenames and --dob.")] = None,
    forenames: Annotated[str | None, typer.Option()] = None,
    dob: Annotated[str | None, typer.Option(help="Date of birth, YYYY-MM-DD.")] = None,
    config: ConfigOption = None,
) -> None:
    """Everything held about one child, in one zip, for a subject access request (audited)."""
    import os

    from models.subject_export import export_subject as build

    engine = engine_from(settings_from(config))
    try:
        data, references = build(engine, actor=_actor(), upn=upn, surname=surname,
                                 forenames=forenames, date_of_birth=dob)
    except IntakeError as exc:
        raise fail(exc.reason, 2) from None
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    typer.echo(f"{len(references)} case(s) written to {out}: {' '.join(references) or '-'}")
