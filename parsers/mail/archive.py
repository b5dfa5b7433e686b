"""Zip attachments, and the unwrapping of containers (zip, Outlook .msg, attached .eml).

A school sometimes zips the form with the family's letters. Every member becomes an
attachment one level deeper, as for a forwarded email, but a zip is also the classic bomb
(pitfalls §7), so before anything is inflated the central directory is checked against
limits on the number of members, their total and single sizes and the compression ratio,
and each member is then read through a byte-capped stream in case the directory lies.
Members are named by their last path component only: a member's path is never used as a
path here.

:func:`expand_attachments` is what the pipeline calls: it keeps every attachment and inserts
after each container the attachments found inside it, to a depth cap, in a worker process
when the limits ask for isolation.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from parsers import sniff as types
from parsers.entries import ExtractedForm
from parsers.errors import IntakeError, UnreadableDocument
from parsers.mail.walker import Attachment, walk_message

log = logging.getLogger(__name__)

KnownLabel = Callable[[str], bool]
MB = 1024 * 1024
CONTAINERS = frozenset({types.ZIP, types.MSG})
_JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)", re.IGNORECASE)


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 100
    max_total_mb: int = 100      # all members inflated together (ReadLimits' docx cap)
    max_ratio: int = 100         # inflated : compressed, for members over 1 MB
    max_depth: int = 3           # containers inside containers (the walker's email depth)
    max_attachments: int = 200   # per message, as the walker


def read_archive(content: bytes, known_label: KnownLabel, limits: Any) -> ExtractedForm:
    """Reader for the zip itself: checked against the limits, its members listed."""
    caps = ArchiveLimits(max_total_mb=getattr(limits, "max_docx_uncompressed_mb", 100))
    members = _checked_members(content, caps)
    return ExtractedForm(extraction="none", notes=[f"zip archive with {len(members)} file(s)"])


def zip_attachments(content: bytes, *, depth: int,
                    caps: ArchiveLimits = ArchiveLimits()) -> list[Attachment]:
    """The files inside a zip, as attachments at ``depth``."""
    members = _checked_members(content, caps)
    found: list[Attachment] = []
    budget = caps.max_total_mb * MB
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for index, info in enumerate(members):
            data = _read_capped(archive, info, budget)
            budget -= len(data)
            name = _display_name(info.filename)
            found.append(Attachment(filename=name, raw_filename=name, content=data,
                                    media_type=types.sniff(data, name), declared_type=None,
                                    inline=False, depth=depth, index=index))
    return found


def _checked_members(content: bytes, caps: ArchiveLimits) -> list[zipfile.ZipInfo]:
    """The members worth reading, or UnreadableDocument naming the limit that was broken."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UnreadableDocument("the zip archive is damaged or truncated: ask the school to "
                                 "send the files again") from None
    with archive:
        infos = archive.infolist()
    members = [i for i in infos if not i.is_dir() and not _JUNK.search(i.filename)]
    if len(infos) > caps.max_members * 2 or len(members) > caps.max_members:
        raise UnreadableDocument(f"the zip archive holds {len(members)} files; the limit is "
                                 f"{caps.max_members}: ask the school to send the form itself")
    if any(info.flag_bits & 0x1 for info in members):
        raise UnreadableDocument("the zip archive is password-protected: ask the school to "
                                 "send the files without a password")
    total = sum(info.file_size for info in members)
    if total > caps.max_total_mb * MB:
        raise UnreadableDocument(f"the zip archive would expand to {total // MB} MB; the limit "
                                 f"is {caps.max_total_mb} MB (it may be a zip bomb)")
    for info in members:
        if info.file_size > MB and info.file_size > caps.max_ratio * max(info.compress_size, 1):
            raise UnreadableDocument(f"a file in the zip archive is compressed more than "
                                     f"{caps.max_ratio}:1 (it may be a zip bomb)")
    return members


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """Inflate one member, never past the budget, whatever its header claims."""
    limit = min(budget, info.file_size)
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
            RuntimeError) as exc:
        raise UnreadableDocument(f"a file in the zip archive is damaged and could not be "
                                 f"unpacked ({type(exc).__name__})") from None
    if len(data) > limit:
        raise UnreadableDocument("a file in the zip archive is bigger than the archive says "
                                 "(it may be a zip bomb)")
    return data


def _display_name(member: str) -> str | None:
    name = re.sub(r"[\x00-\x1f\\:]", "_", member.replace("\\", "/").rsplit("/", 1)[-1])
    return name.strip(" .")[:200] or None


# --- unwrapping containers ---------------------------------------------------------------


def unwrap(content: bytes, media_type: str, depth: int, caps: ArchiveLimits) -> list[Attachment]:
    """The attachments inside one container, at ``depth`` (the container's depth + 1)."""
    if media_type == types.ZIP:
        return zip_attachments(content, depth=depth, caps=caps)
    if media_type == types.MSG:
        from parsers.mail.msg import msg_attachments

        return msg_attachments(content, depth=depth)
    if media_type == types.EML:
        walked = walk_message(content, max_depth=0, max_attachments=caps.max_attachments)
        return [replace(a, depth=depth) for a in walked.attachments]
    return []


def expand_attachments(attachments: Iterable[Attachment], limits: Any) -> list[Attachment]:
    """The walked attachments with the contents of every zip and .msg inserted after it.

    A container that cannot be opened is left alone here: reading it as a document gives
    the reason. An .eml found inside a container is opened as the walker would.
    """
    caps = ArchiveLimits(max_total_mb=getattr(limits, "max_docx_uncompressed_mb", 100))
    out: list[Attachment] = []
    for attachment in attachments:
        _expand(attachment, limits, caps, out, inside=False)
    return [replace(a, index=i) for i, a in enumerate(out)]


def _expand(attachment: Attachment, limits: Any, caps: ArchiveLimits, out: list[Attachment],
            *, inside: bool) -> None:
    if len(out) >= caps.max_attachments:
        return
    out.append(attachment)
    kinds = CONTAINERS | ({types.EML} if inside else set())
    if attachment.media_type not in kinds or attachment.depth >= caps.max_depth:
        return
    try:
        inner = _unwrap(attachment, limits, caps)
    except IntakeError as exc:
        log.info("container not expanded: %s", exc.reason)
        return
    for child in inner:
        _expand(child, limits, caps, out, inside=True)


def _unwrap(attachment: Attachment, limits: Any, caps: ArchiveLimits) -> list[Attachment]:
    depth = attachment.depth + 1
    if not getattr(limits, "isolate", False):
        try:
            return unwrap(attachment.content, attachment.media_type, depth, caps)
        except IntakeError:
            raise
        except Exception as exc:  # noqa: BLE001 - a parser bug costs this container only
            raise UnreadableDocument(f"container could not be opened ({type(exc).__name__})") \
                from None
    from parsers.isolation import JobLimits, shared_pool

    job = JobLimits(wall_seconds=limits.wall_seconds, memory_mb=limits.memory_mb)
    result: list[Attachment] = shared_pool().call(unwrap, attachment.content,
                                                  attachment.media_type, depth, caps,
                                                  limits=job)
    return result
