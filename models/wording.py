"""The admin's decisions on suggested wording (issue 14): one row per label and field.

A suggestion itself is computed from the ``field_corrected`` audit events
(:mod:`models.store_wording`); what is stored is the decision, so a dismissed suggestion is
not shown again and an accepted one is on record beside the overlay file it went to. The
table is registered by :mod:`models.db` like :mod:`models.tables`' own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.tables import utcnow

DECISIONS = ("accepted", "dismissed")


class WordingDecision(SQLModel, table=True):
    """An admin's answer to one suggestion: this label (normalised) for this field."""

    __table_args__ = (
        UniqueConstraint("label_key", "field_path", name="uq_wordingdecision_label_field"),
    )

    id: int | None = Field(default=None, primary_key=True)
    label_key: str = Field(max_length=200)
    field_path: str = Field(max_length=120)  # the field map's path: parents.*.phone
    label: str = Field(max_length=200)  # as the form printed it
    decision: str = Field(max_length=16)  # accepted | dismissed
    actor: str = Field(max_length=120)
    at: datetime = Field(default_factory=utcnow)
