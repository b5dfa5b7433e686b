"""Storing received messages as cases, and the edits reviewers make to cases.

This module is the import point; the work is done in:

- :mod:`models.store_ingest`: :func:`store_message` (one short transaction per message,
  safe against two daemons at once; parsing is done before, by ``intake.ingest``) and
  :func:`store_reparsed`;
- :mod:`models.store_headers`: the dedup key and threading ids read from the raw headers;
- :mod:`models.store_threads`: which case a message goes to (reply, new case or none);
- :mod:`models.casework`: opening a case, adding a version, reconciling flags, duplicates;
- :mod:`models.store_mailbox`: :func:`mark_moved`, :func:`unmoved`, :func:`record_poll`;
- :mod:`models.store_edits`: reviewers' :func:`resolve_flag`, :func:`update_part3`,
  :func:`audit`;
- :mod:`models.store_rows`: locks, blobs, audit rows and :class:`SourceRef`.
"""

from __future__ import annotations

from models.casework import MAX_DUPLICATES, CaseRules, flag_dict, pupil_keys
from models.store_edits import audit, resolve_flag, update_part3
from models.store_headers import (
    MESSAGE_ID_TOKEN,
    REFERENCE_IN_SUBJECT,
    Headers,
    bare_message_id,
    read_headers,
)
from models.store_ingest import (
    IngestOutcome,
    judged_on,
    store_message,
    store_reparsed,
    stored_message,
    stored_outcome,
)
from models.store_mailbox import mark_moved, record_poll, unmoved
from models.store_rows import MAILBOX_AREA, SYSTEM, SourceRef, as_utc, london_date
from parsers.errors import StoreError

__all__ = [
    "MAILBOX_AREA",
    "MAX_DUPLICATES",
    "MESSAGE_ID_TOKEN",
    "REFERENCE_IN_SUBJECT",
    "SYSTEM",
    "CaseRules",
    "Headers",
    "IngestOutcome",
    "SourceRef",
    "StoreError",
    "as_utc",
    "audit",
    "bare_message_id",
    "flag_dict",
    "judged_on",
    "london_date",
    "mark_moved",
    "pupil_keys",
    "read_headers",
    "record_poll",
    "resolve_flag",
    "store_message",
    "store_reparsed",
    "stored_message",
    "stored_outcome",
    "unmoved",
    "update_part3",
]
