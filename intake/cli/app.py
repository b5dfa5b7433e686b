"""The ``cme-intake`` typer app, its shared options, and the entry point.

Command modules (:mod:`intake.cli.records`, :mod:`intake.cli.services`) register onto
:data:`app`; errors are one line on stderr, never a traceback: exit 2 for a usage error,
3 when a file cannot be read at all, 1 otherwise.
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from parsers.errors import IntakeError

app = typer.Typer(
    name="cme-intake",
    help="Children Missing Education referral intake: parse, ingest, query and review referrals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(help="Manage logins for the review web UI.", no_args_is_help=True)
app.add_typer(users_app, name="users")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML configuration file (default: settings from CME_* environment).",
                 envvar="CME_CONFIG"),
]
MAILBOXES = ("cme", "ene", "wnw", "south")


def fail(reason: str, code: int = 1) -> typer.Exit:
    typer.echo(f"cme-intake: {reason}", err=True)
    return typer.Exit(code)


def mailbox_option(value: str | None) -> str | None:
    if value is not None and value not in MAILBOXES:
        raise typer.BadParameter(f"must be one of {', '.join(MAILBOXES)}")
    return value


def iso_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD") from None


def settings_from(config: Path | None) -> Any:
    from intake.config import load_settings

    try:
        return load_settings(config)
    except IntakeError as exc:
        raise fail(exc.reason, 2) from None


def engine_from(settings: Any) -> Any:
    """The case database named in the settings, migrated to the current schema."""
    from models.db import make_engine, migrate

    try:
        engine = make_engine(settings.database.url)
        migrate(engine)
    except Exception as exc:  # noqa: BLE001 - shown as one line, not a traceback
        raise fail(f"cannot open the case database: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None
    return engine


def rule_settings(settings: Any, engine: Any = None) -> Any:
    """The rules' settings, with the school register when ``[schools]`` is configured."""
    from intake.core.rules import RuleSettings
    from intake.school_register import directory_for

    return RuleSettings.from_settings(settings.rules, schools=directory_for(settings, engine))



def main() -> None:
    """Entry point: one line on stderr for any failure; CME_DEBUG=1 shows the traceback."""
    import os

    try:
        app()
    except IntakeError as exc:
        typer.echo(f"cme-intake: {exc.reason}", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - never a traceback for users
        if os.environ.get("CME_DEBUG"):
            raise
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        typer.echo(f"cme-intake: internal error ({type(exc).__name__}: {first}); "
                   "run with CME_DEBUG=1 for details", err=True)
        sys.exit(1)
