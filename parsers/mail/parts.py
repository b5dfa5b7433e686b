"""The parts of an email the walker hands on: one :class:`Attachment` per document found.

Its own module so that the walker and the body-text helpers share it without importing
each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    raw_filename: str | None
    content: bytes
    media_type: str
    declared_type: str | None
    inline: bool
    depth: int
    index: int
