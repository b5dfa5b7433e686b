"""Database failures in words: disk full, read-only, unreachable, locked.

``database unavailable (OperationalError)`` tells an administrator nothing; the driver's own
message (SQLite's ``database or disk is full``, PostgreSQL's SQLSTATE ``53100``) does, but
may quote SQL and values. :func:`database_reason` reads the driver's code and message and
returns a fixed sentence that says what to do, never the statement or its parameters.
"""

from __future__ import annotations

_SENTENCES = (
    (("database or disk is full", "no space left on device", "disk full"), ("53100",),
     "the disk holding the database is full: free some space; the daemon resumes by itself"),
    (("readonly database", "read-only", "read only"), ("25006",),
     "the database is read-only: check the permissions of the database file and its folder "
     "(SQLite), or that the server is not a read-only standby (PostgreSQL)"),
    (("unable to open database file",), (),
     "the database file cannot be opened: check [database] url and its folder's permissions"),
    (("database is locked",), ("55P03",), "the database is locked by another process"),
    (("too many clients", "remaining connection slots"), ("53300",),
     "the database server has no free connections"),
    (("could not connect", "connection refused", "server closed the connection",
      "terminating connection", "connection to server"), ("57P01", "57P03", "08006", "08001"),
     "the database server cannot be reached"),
)


def database_reason(exc: BaseException) -> str:
    """A fixed sentence for this database failure (no SQL, no values)."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).lower()
    code = getattr(original, "pgcode", None)
    for phrases, codes, sentence in _SENTENCES:
        if code in codes or any(phrase in text for phrase in phrases):
            return sentence
    return f"database error ({type(original).__name__})"
