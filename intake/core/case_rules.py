"""The core's decisions the case store needs while it files a message.

The store persists; it does not judge. When a reply's form opens a case of its own, or a
new case may repeat another pupil's, the store asks these rules (handed to it by the ingest
service) and writes what they answer in its transaction.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any

from intake.core.rules import RuleSettings, duplicate_flag, evaluate, is_complete


@dataclass(frozen=True)
class CoreCaseRules:
    """:class:`models.casework.CaseRules` as the core decides them, for one set of settings."""

    settings: RuleSettings = RuleSettings()

    def judged_on_arrival(self, parsed: Any, *, was: date, now: date) -> dict[str, Any]:
        """The record with its flags judged on the day the message arrived.

        A reply is parsed as of its case's first day (lateness, age); a form that opens a
        case of its own is a new referral, judged on its own day. Only the rules' flags are
        judged again: any flag the pipeline raised on its own is kept.
        """
        if was == now:
            return parsed.record  # type: ignore[no-any-return]
        record = copy.deepcopy(parsed.record)
        findings = getattr(parsed, "findings", ())
        before = evaluate(record, findings=findings, received_on=was, settings=self.settings)
        kept = [flag for flag in record.get("flags", []) if flag not in before]
        record["flags"] = evaluate(record, findings=findings, received_on=now,
                                   settings=self.settings)
        record["flags"] += kept
        record["complete"] = is_complete(record["flags"])
        return record

    def duplicate_flag(self, other_reference: str) -> dict[str, Any]:
        """The flag for another case of the same pupil."""
        return duplicate_flag(other_reference)
