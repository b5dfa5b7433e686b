"""Pure helpers for IMAP folder names and IDLE responses (no socket, easy to test).

Configured folder names use ``/`` between levels; servers use their own delimiter (``.``
for Maildir++ Dovecot and Courier, ``/`` for Exchange and Gmail) and some put personal
folders under a namespace prefix such as ``INBOX.``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def delimiter_and_names(listed: Sequence[tuple[Any, Any, str]]) -> tuple[str, set[str]]:
    """From ``list_folders()``: the hierarchy delimiter and every folder name."""
    delimiter = next((d.decode() if isinstance(d, bytes) else str(d)
                      for _flags, d, _name in listed if d), "/")
    return delimiter, {name for _flags, _d, name in listed}


def spell(name: str, delimiter: str, existing: set[str], prefix: str = "") -> str:
    """A configured name as this server spells it (existing names win over the prefix)."""
    spelled = name.replace("/", delimiter) if delimiter != "/" else name
    if spelled in existing or spelled.upper() == "INBOX" or not prefix:
        return spelled
    return spelled if spelled.startswith(prefix) else prefix + spelled


def is_news(response: tuple[Any, ...]) -> bool:
    """EXISTS/RECENT mean new mail; BYE means the server is going away (reconnect)."""
    if len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT"):
        return True
    return bool(response) and response[0] == b"BYE"
