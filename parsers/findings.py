"""Problems found while reading single values, handed from the mapper to the rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """``invalid_value`` or ``low_confidence`` on one record path; ``reason`` names no person."""

    code: str
    field: str | None
    reason: str
