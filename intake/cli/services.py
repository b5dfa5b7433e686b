"""CLI commands for the long-running services and accounts: run, check-config, status,
serve, users, audit. Each is a thin call into its module, imported only when used."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from intake.cli.app import ConfigOption, app, engine_from, fail, settings_from, users_app

AREAS = ("central", "ENE", "WNW", "South")


@app.command()
def run(
    config: ConfigOption = None,
    once: Annotated[bool, typer.Option("--once", help="Process everything waiting, then exit.")] = False,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """The mailbox daemon: watch every configured mailbox and ingest each message once."""
    from intake.mailbox.checks import preflight
    from intake.mailbox.daemon import configure_logging, run_daemon

    settings = settings_from(config)
    if not settings.mailbox:
        raise fail("no [[mailbox]] is configured", 2)
    problems = preflight(settings)  # the same words check-config uses
    if problems:
        raise fail("; ".join(problems), 2)
    configure_logging(log_level)
    raise typer.Exit(run_daemon(settings, once=once))


@app.command("check-config")
def check_config(config: ConfigOption = None) -> None:
    """Connect to each mailbox, log in, check the folders; say per mailbox what is wrong."""
    from intake.mailbox.checks import check_config as check

    settings = settings_from(config)
    results = check(settings)
    bad = 0
    for result in results:
        if result.ok:
            typer.echo(f"{result.key}: ok")
        else:
            bad += 1
            for problem in result.problems:
                typer.echo(f"{result.key}: problem: {problem}")
        for note in getattr(result, "notes", []):
            typer.echo(f"{result.key}: note: {note}")
    raise typer.Exit(1 if bad else 0)


@app.command()
def status(config: ConfigOption = None) -> None:
    """Per mailbox: last successful poll, last error, messages waiting and failed.

    What the running daemons hold in memory is shown too, so an error they could not write
    to the database (disk full, read-only) still appears."""
    from intake.cli.show import emit_rows
    from intake.mailbox.checks import status_report

    rows, note = status_report(settings_from(config))
    if note:
        typer.echo(f"cme-intake: {note}", err=True)
    columns = ["mailbox", "last_poll_ok_at", "last_error", "last_error_at", "waiting", "failed"]
    emit_rows(rows, columns, "table", title="Mailboxes")


@app.command()
def serve(
    config: ConfigOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
) -> None:
    """The review web UI for AIOs and managers."""
    from intake.web.app import serve as serve_app

    serve_app(settings_from(config), host=host, port=port)


def _password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise fail("no password on standard input", 2)
    return password


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="aio, manager or admin.")],
    area: Annotated[list[str] | None, typer.Option(help="Area(s) an AIO works: central, ENE, WNW, South.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    config: ConfigOption = None,
) -> None:
    """Create a login."""
    from models.users import add_user

    if role not in ("aio", "manager", "admin"):
        raise fail("--role must be aio, manager or admin", 2)
    for value in area or []:
        if value not in AREAS:
            raise fail(f"--area must be one of {', '.join(AREAS)}", 2)
    if not password_stdin:
        raise fail("give the password on standard input with --password-stdin", 2)
    engine = engine_from(settings_from(config))
    add_user(engine, name=name, role=role, areas=list(area or []), password=_password_from_stdin(),
             actor="cli")
    typer.echo(f"user {name} added ({role})")


@users_app.command("disable")
def users_disable(name: str, config: ConfigOption = None) -> None:
    """Disable a login; its sessions stop working at once."""
    from models.users import disable_user

    disable_user(engine_from(settings_from(config)), name=name, actor="cli")
    typer.echo(f"user {name} disabled")


@users_app.command("set-password")
def users_set_password(
    name: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    config: ConfigOption = None,
) -> None:
    """Set a login's password (read from standard input)."""
    from models.users import set_password

    if not password_stdin:
        raise fail("give the password on standard input with --password-stdin", 2)
    set_password(engine_from(settings_from(config)), name=name, password=_password_from_stdin(), actor="cli")
    typer.echo(f"password set for {name}")


@app.command()
def audit(
    since: Annotated[str | None, typer.Option()] = None,
    until: Annotated[str | None, typer.Option()] = None,
    actor: Annotated[str | None, typer.Option()] = None,
    case: Annotated[str | None, typer.Option(help="Case reference.")] = None,
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    config: ConfigOption = None,
) -> None:
    """The audit trail: who viewed or changed what, and when."""
    from intake.cli.app import iso_date
    from intake.cli.show import emit_rows
    from intake.web.views_audit import audit_rows
    from models.db import session_scope

    engine = engine_from(settings_from(config))
    with session_scope(engine) as session:
        rows = audit_rows(session, since=iso_date(since), until=iso_date(until), actor=actor, case=case)
    emit_rows(rows, ["at", "actor", "action", "case", "detail"], output, title="Audit trail")


@app.command("demo-setup", hidden=True)
def demo_setup(folder: Annotated[Path, typer.Argument()] = Path("demo")) -> None:
    """Write the embedded sample emails into a Maildir and a config that reads it."""
    from intake.demo import setup

    config = setup(folder)
    typer.echo(str(config))
