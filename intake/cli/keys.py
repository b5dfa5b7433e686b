"""``cme-intake keys``: create the data key file, rotate keys, show which key is in use.

The key file is the only copy of the keys: keep it outside the database, its backups and
the configuration file (mode 0600, owned by the service user). Processes find it through
``CME_DATABASE_KEY_FILE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from intake.cli.app import ConfigOption, app, fail, settings_from

keys_app = typer.Typer(help="Data keys: encryption at rest of the case database.",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")

KeyFileOption = Annotated[
    Path,
    typer.Option("--key-file", envvar="CME_DATABASE_KEY_FILE",
                 help="The key file (default: $CME_DATABASE_KEY_FILE)."),
]
BatchOption = Annotated[int, typer.Option("--batch", min=1, help="Values per transaction.")]
PauseOption = Annotated[float, typer.Option(
    "--pause", min=0.0, help="Seconds between transactions, to spare a busy database.")]


def _engine(settings: object, ring: object) -> object:
    from models.db import make_engine, migrate

    engine = make_engine(settings.database.url, keyring=ring)  # type: ignore[attr-defined]
    migrate(engine)
    return engine


def _reseal(engine: object, batch: int, pause: float) -> None:
    from models.rekey import reseal

    def progress(purpose: str, count: int) -> None:
        typer.echo(f"resealed {count} of {purpose}")

    reseal(engine, batch=batch, pause=pause, progress=progress)  # type: ignore[arg-type]


@keys_app.command("init")
def keys_init(key_file: KeyFileOption, config: ConfigOption = None,
              batch: BatchOption = 200, pause: PauseOption = 0.0) -> None:
    """Create a new key file and seal everything already in the database with it."""
    from models.crypto import new_keyring, write_keyring

    if key_file.exists():
        raise fail(f"{key_file} exists already: use `cme-intake keys rotate`", 2)
    settings = settings_from(config)
    ring = new_keyring()
    write_keyring(key_file, ring)
    engine = _engine(settings, ring)
    _reseal(engine, batch, pause)
    typer.echo(f"key {ring.current_id} written to {key_file}; "
               f"set CME_DATABASE_KEY_FILE={key_file} for every cme-intake service")


@keys_app.command("rotate")
def keys_rotate(key_file: KeyFileOption, config: ConfigOption = None,
                batch: BatchOption = 200, pause: PauseOption = 0.0) -> None:
    """Seal everything with a new key, then drop the old one. Stop the daemon and web first.

    Safe to interrupt: run it again and it finishes the rotation it started (the key file
    holds the new key and the old one until every value is re-sealed).
    """
    from models.crypto import read_keyring, write_keyring
    from models.rekey import forget_old_keys, stale_count

    ring = read_keyring(key_file)
    settings = settings_from(config)
    if len(ring.keys) == 1:
        ring = ring.with_new_key()
        write_keyring(key_file, ring)  # before any value is sealed with it
        typer.echo(f"new key {ring.current_id}; re-sealing")
    else:
        typer.echo(f"resuming the rotation to key {ring.current_id}")
    engine = _engine(settings, ring)
    _reseal(engine, batch, pause)
    left = sum(stale_count(engine).values())  # type: ignore[arg-type]
    if left:
        raise fail(f"{left} values are still sealed with an old key; run again")
    write_keyring(key_file, ring.only_current())
    forget_old_keys(engine)  # type: ignore[arg-type]
    typer.echo(f"every value is sealed with key {ring.current_id}; old keys removed")


@keys_app.command("status")
def keys_status(key_file: KeyFileOption, config: ConfigOption = None) -> None:
    """Which key seals new values, and how many values are not yet sealed with it."""
    from models.crypto import read_keyring
    from models.rekey import stale_count

    ring = read_keyring(key_file)
    engine = _engine(settings_from(config), ring)
    typer.echo(f"current key {ring.current_id} ({len(ring.keys)} in the key file)")
    for purpose, count in stale_count(engine).items():  # type: ignore[arg-type]
        typer.echo(f"{purpose}: {count} not sealed with the current key")
