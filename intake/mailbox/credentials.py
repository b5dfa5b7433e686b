"""Secrets for mailboxes and SMTP: from an environment variable or a file, never the TOML.

Every secret read here is registered with the redacting log filter before it is returned,
so even a library that logs its protocol lines cannot leak it.
"""

from __future__ import annotations

import os
from pathlib import Path

from intake.mailbox.faults import SourceUnavailable
from intake.mailbox.redact import register_secret


def read_secret(*, env: str | None, file: str | None, what: str) -> str:
    """The secret named by ``env`` or ``file``; SourceUnavailable with advice when missing."""
    if env:
        value = os.environ.get(env)
        if not value:
            raise SourceUnavailable(f"{what}: environment variable {env} is not set")
    elif file:
        try:
            value = Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SourceUnavailable(
                f"{what}: cannot read the secret file {file} "
                f"({exc.strerror or type(exc).__name__})") from exc
        if not value:
            raise SourceUnavailable(f"{what}: the secret file {file} is empty")
    else:
        raise SourceUnavailable(f"{what}: no password_env or password_file configured")
    register_secret(value)
    return value


def read_password(settings: object) -> str:
    """The IMAP password of a mailbox (``password_env`` or ``password_file``)."""
    return read_secret(env=getattr(settings, "password_env", None),
                       file=getattr(settings, "password_file", None),
                       what=f"mailbox {getattr(settings, 'key', '?')}")
