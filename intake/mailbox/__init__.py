"""The mailbox daemon: IMAP and Maildir sources, one worker per mailbox, exactly-once intake.

Entry points for the CLI: :func:`run_daemon`, :func:`check_config`, :func:`status_rows`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intake.mailbox.checks import MailboxCheck

__all__ = ["MailboxCheck", "check_config", "run_daemon", "status_rows"]


def __getattr__(name: str) -> Any:
    """Imported lazily so ``import intake.mailbox`` stays cheap for the CLI."""
    if name == "run_daemon":
        from intake.mailbox.daemon import run_daemon

        return run_daemon
    if name in ("check_config", "status_rows", "MailboxCheck"):
        from intake.mailbox import checks

        return getattr(checks, name)
    raise AttributeError(name)
