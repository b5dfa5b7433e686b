"""The narrow error hierarchy.

Everything the pipeline raises on bad input is an :class:`IntakeError`, so a shell (CLI,
daemon, web) can catch one type, show its ``reason`` and go on. ``reason`` is safe to show
outside the case: it never contains a child's personal data.
"""

from __future__ import annotations


class IntakeError(Exception):
    """Base of every error raised on purpose by cme-intake."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnreadableDocument(IntakeError):
    """A document that cannot be read: corrupt, encrypted, empty, unsupported or over a limit."""


class MalformedMessage(IntakeError):
    """An email whose bytes cannot be parsed as a message at all."""


class ConfigError(IntakeError):
    """A configuration file or setting that is missing or wrong."""


class MailboxError(IntakeError):
    """An account-level fault (login, TLS, connection) that stops one mailbox for a while."""


class StoreError(IntakeError):
    """A case edit that cannot be done: unknown case, message or flag, or a bad value."""


class QueryError(IntakeError):
    """A filter or order that makes no sense (e.g. an unknown order name)."""


def one_line(reason: str, limit: int = 500) -> str:
    """A reason as one line of at most ``limit`` characters, for a column or a log line."""
    return " ".join(reason.split())[:limit]
