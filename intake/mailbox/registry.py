"""Which mail source reads a configured mailbox: one registry keyed on ``source``.

Each source (IMAP, Maildir, Microsoft Graph) implements :class:`intake.mailbox.sources.MailSource`; the
modules are imported only when a mailbox of that kind is configured.
"""

from __future__ import annotations

from intake.config import MailboxSettings
from intake.mailbox.sources import MailSource


def open_source(settings: MailboxSettings, **options: object) -> MailSource:
    """The source for one configured mailbox (not yet opened)."""
    if settings.source == "maildir":
        from intake.mailbox.maildir import MaildirSource

        return MaildirSource(settings)
    if settings.source == "graph":
        from intake.mailbox.graph import GraphSource

        return GraphSource(settings, timeout=float(options.get("timeout", 30.0)))  # type: ignore[arg-type]
    from intake.mailbox.imap import ImapSource

    return ImapSource(settings, **options)  # type: ignore[arg-type]
