"""The form beside the record: a document's pages as images, rendered on this server.

PDFs are rendered with poppler's ``pdftoppm``; Word and .doc files are first turned into a
PDF by LibreOffice (headless, a fresh profile, a time limit), then rendered the same way.
Nothing is fetched from the internet and no viewer runs in the browser: the page gets
plain PNGs. Pages are cached on disk by the document's sha256 (folder mode 0700), with each
page's text beside it so a field can be found on its page when its locator names none.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parsers.errors import UnreadableDocument

log = logging.getLogger(__name__)

RESOLUTION = 80  # dots per inch: an A4 page is 661 x 935 pixels, readable beside the record
MAX_PAGES = 20
_PAGE_IN_LOCATOR = re.compile(r"\bpage (\d+)\b", re.IGNORECASE)
_WORD_TYPES = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
               "application/msword": ".doc", "application/rtf": ".rtf",
               "application/vnd.oasis.opendocument.text": ".odt"}
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(sha256: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(sha256, threading.Lock())


def default_cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "cme-intake" / "pages"


def renderable(document: dict[str, Any]) -> bool:
    media = document.get("media_type") or ""
    return bool(document.get("sha256")) and (media == "application/pdf" or media in _WORD_TYPES)


class PageCache:
    """Rendered pages per document sha256: ``<dir>/<sha>/page-<n>.png`` and ``page-<n>.txt``."""

    def __init__(self, folder: Path, *, timeout: float = 60.0) -> None:
        self.folder = folder
        self.timeout = timeout

    def _dir(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise UnreadableDocument("not a document id")
        return self.folder / sha256

    def count(self, sha256: str) -> int | None:
        """How many pages are cached, or None when the document is not rendered yet."""
        done = self._dir(sha256) / "pages"
        return int(done.read_text()) if done.exists() else None

    def forget(self, sha256: str) -> bool:
        """Delete a document's rendered pages (its case was purged); False if none."""
        folder = self._dir(sha256)
        shutil.rmtree(folder, ignore_errors=True)
        return not folder.exists()

    def texts(self, sha256: str) -> list[str]:
        pages = self.count(sha256) or 0
        folder = self._dir(sha256)
        return [(folder / f"page-{n}.txt").read_text(encoding="utf-8", errors="replace")
                for n in range(1, pages + 1)]

    def page(self, sha256: str, number: int, content: bytes, media_type: str) -> Path:
        """The PNG of page ``number`` (1-based), rendering the document first if needed."""
        if self.count(sha256) is None:
            with _lock_for(sha256):
                if self.count(sha256) is None:
                    self._render(sha256, content, media_type)
        pages = self.count(sha256) or 0
        if not 1 <= number <= pages:
            raise UnreadableDocument("no such page")
        return self._dir(sha256) / f"page-{number}.png"

    def _render(self, sha256: str, content: bytes, media_type: str) -> None:
        target = self._dir(sha256)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(prefix="cme-pages-", dir=self.folder) as work:
            folder = Path(work)
            pdf = folder / "document.pdf"
            if media_type == "application/pdf":
                pdf.write_bytes(content)
            else:
                _word_to_pdf(content, _WORD_TYPES.get(media_type, ".docx"), folder, self.timeout)
            _run(["pdftoppm", "-r", str(RESOLUTION), "-png", "-l", str(MAX_PAGES), str(pdf),
                  str(folder / "img")], self.timeout)
            images = sorted(folder.glob("img-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
            if not images:
                raise UnreadableDocument("the document has no page to show")
            _run(["pdftotext", "-layout", "-l", str(len(images)), str(pdf),
                  str(folder / "text.txt")], self.timeout)
            texts = (folder / "text.txt").read_text(encoding="utf-8", errors="replace")
            out = folder / "out"
            out.mkdir(mode=0o700)
            for number, (image, text) in enumerate(zip(images, _split_pages(texts, len(images)),
                                                       strict=True), start=1):
                image.rename(out / f"page-{number}.png")
                (out / f"page-{number}.txt").write_text(text, encoding="utf-8")
            (out / "pages").write_text(str(len(images)))
            if target.exists():
                shutil.rmtree(target)
            out.rename(target)
        log.info("rendered %s page(s) of document %s", self.count(sha256), sha256[:12])


def _split_pages(text: str, count: int) -> list[str]:
    pages = text.split("\f")
    return (pages + [""] * count)[:count]


def _run(command: list[str], timeout: float) -> None:
    try:
        subprocess.run(command, check=True, timeout=timeout, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except FileNotFoundError:
        raise UnreadableDocument(f"{command[0]} is not installed on this server") from None
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        raise UnreadableDocument("the document's pages could not be rendered") from None


def _word_to_pdf(content: bytes, suffix: str, folder: Path, timeout: float) -> None:
    from parsers.convert import soffice_binary

    binary = soffice_binary()
    if binary is None:
        raise UnreadableDocument("LibreOffice is not installed: Word pages cannot be shown")
    source = folder / f"document{suffix}"
    source.write_bytes(content)
    profile = (folder / "profile").as_uri()
    _run([binary, "--headless", "--norestore", "--nolockcheck", "--nologo", "--nodefault",
          f"-env:UserInstallation={profile}", "--convert-to", "pdf", "--outdir", str(folder),
          str(source)], timeout)
    if not (folder / "document.pdf").exists():
        raise UnreadableDocument("LibreOffice could not turn the document into pages")


@dataclass
class FormView:
    """Where on the rendered form a value is: the page its locator names, else the first
    page whose text holds the value, else page 1."""

    cache: PageCache
    documents: list[dict[str, Any]]
    _texts: dict[int, list[str]] = field(default_factory=dict)

    def pages(self, index: int) -> int:
        document = self.documents[index]
        cached = self.cache.count(document["sha256"])
        return cached or int(document.get("pages") or 1)

    def shown(self) -> list[int]:
        return [i for i, d in enumerate(self.documents) if renderable(d)]

    def page_of(self, source: Any, text: str | None) -> int | None:
        if not isinstance(source, dict) or source.get("document") is None:
            return None
        index = int(source["document"])
        if not 0 <= index < len(self.documents) or not renderable(self.documents[index]):
            return None
        named = _PAGE_IN_LOCATOR.search(source.get("locator") or "")
        if named:
            return min(int(named.group(1)), self.pages(index))
        return self._by_text(index, text) or 1

    def _by_text(self, index: int, text: str | None) -> int | None:
        if not text or len(text) < 3:
            return None
        if index not in self._texts:
            self._texts[index] = self.cache.texts(self.documents[index]["sha256"])
        wanted = " ".join(text.split()).lower()
        for number, page in enumerate(self._texts[index], start=1):
            if wanted in " ".join(page.split()).lower():
                return number
        return None

    def flag_page(self, path: str, record: dict[str, Any]) -> tuple[int, int] | None:
        """(document, page) of the place a flag is about: its field, or the first field
        read under it (``safeguarding.dsl`` → the DSL's name); None when nothing was read."""
        provenance = record.get("provenance") or {}
        source = provenance.get(path) or next(
            (v for k, v in sorted(provenance.items()) if k.startswith(path + ".")), None)
        page = self.page_of(source, None)
        return None if page is None or source is None else (int(source["document"]), page)
