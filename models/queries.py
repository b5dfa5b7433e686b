"""Read-only questions asked of the case database: the intake log, the queue, one case.

Every function takes an open session (use ``session_scope(engine, readonly=True)``), takes
its filters as keyword arguments and returns plain, JSON-ready dicts (times as ISO 8601
strings in UTC). ``since``/``until`` accept a date (a calendar day in England, ``until``
inclusive) or a datetime (``until`` exclusive). Lists that can grow long take ``limit``
and ``offset``; a ``count_…`` twin gives the total for paging.

This module is the import point; the queries live in :mod:`models.queries_log` (the intake
log), :mod:`models.queries_queue` (cases and flags across cases), :mod:`models.queries_case`
(one case), :mod:`models.queries_mailboxes` (mailbox health) and
:mod:`models.queries_filters` (the pieces they share).
"""

from __future__ import annotations

from models.queries_case import blob_content, case_audit, get_case
from models.queries_log import count_intake_log, intake_log
from models.queries_mailboxes import MAILBOX_ORDER, mailbox_status
from models.queries_queue import CASE_ORDERS, count_cases, list_cases, list_flags
from parsers.errors import QueryError

__all__ = [
    "CASE_ORDERS",
    "MAILBOX_ORDER",
    "QueryError",
    "blob_content",
    "case_audit",
    "count_cases",
    "count_intake_log",
    "get_case",
    "intake_log",
    "list_cases",
    "list_flags",
    "mailbox_status",
]
