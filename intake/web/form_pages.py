"""The form beside the record: a document's pages as images, rendered on this server.

PDFs are rendered with poppler's ``pdftoppm``; Word and .doc files are first turned into a
PDF by LibreOffice (headless, a fresh profile, a time limit), then rendered the same way.
Nothing is fetched from the internet and no viewer runs in the browser: the page gets
plain PNGs. Pages are cached on disk by the document's sha256 (folder mode 0700), with each
page's text and word boxes beside it, so a field can be found on its page and highlighted
(:mod:`intake.web.form_regions`).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from intake.web.form_words import WORDS_FILE, PageWords, load_words, read_words, save_words
from parsers.errors import UnreadableDocument

log = logging.getLogger(__name__)

RESOLUTION = 80  # dots per inch: an A4 page is 661 x 935 pixels, readable beside the record
MAX_PAGES = 20
_PAGE_IN_LOCATOR = re.compile(r"\bpage (\d+)\b", re.IGNORECASE)
_WORD_TYPES = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
               "application/msword": ".doc", "application/rtf": ".rtf",
               "application/vnd.oasis.opendocument.text": ".odt"}
_WORDS_KEPT = 64  # documents whose word boxes stay in memory
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
        self._words: OrderedDict[str, list[PageWords]] = OrderedDict()
        self._failed: set[str] = set()  # documents this process could not render

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
        self._words.pop(sha256, None)
        shutil.rmtree(folder, ignore_errors=True)
        return not folder.exists()

    def words(self, sha256: str) -> list[PageWords] | None:
        """The word boxes of a rendered document (kept in memory for the last few), or None
        before it is rendered."""
        if sha256 in self._words:
            self._words.move_to_end(sha256)
            return self._words[sha256]
        if self.count(sha256) is None:
            return None
        words = load_words(self._dir(sha256) / WORDS_FILE)
        if words is not None:
            self._words[sha256] = words
            while len(self._words) > _WORDS_KEPT:
                self._words.popitem(last=False)
        return words

    def prepare(self, sha256: str, content: Callable[[], bytes | None], media_type: str,
                wait: float) -> None:
        """Render a document not rendered yet (or rendered before word boxes were kept), in
        a thread, waiting at most ``wait`` seconds: the case page shows its regions when the
        rendering is quick (a PDF), its pages either way."""
        if sha256 in self._failed or self.words(sha256) is not None:
            return

        def work() -> None:
            try:
                data = content()
                if data:
                    self.page(sha256, 1, data, media_type, again=self.count(sha256) is not None)
            except UnreadableDocument as exc:
                self._failed.add(sha256)  # not tried again by every view of the case
                log.warning("document %s: %s", sha256[:12], exc.reason)
            except Exception as exc:  # noqa: BLE001 - a thread of its own: log, never raise
                self._failed.add(sha256)
                log.warning("document %s: not rendered (%s)", sha256[:12], type(exc).__name__)

        worker = threading.Thread(target=work, name=f"render-{sha256[:12]}", daemon=True)
        worker.start()
        worker.join(wait)

    def texts(self, sha256: str) -> list[str]:
        pages = self.count(sha256) or 0
        folder = self._dir(sha256)
        return [(folder / f"page-{n}.txt").read_text(encoding="utf-8", errors="replace")
                for n in range(1, pages + 1)]

    def page(self, sha256: str, number: int, content: bytes, media_type: str, *,
             again: bool = False) -> Path:
        """The PNG of page ``number`` (1-based), rendering the document first if needed
        (``again``: also when rendered, but without readable word boxes)."""
        if self.count(sha256) is None or again:
            with _lock_for(sha256):
                if self.count(sha256) is None or (
                        again and load_words(self._dir(sha256) / WORDS_FILE) is None):
                    self._words.pop(sha256, None)
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
            save_words(_words_of(pdf, len(images), sha256), out / WORDS_FILE)
            for number, (image, text) in enumerate(zip(images, _split_pages(texts, len(images)),
                                                       strict=True), start=1):
                image.rename(out / f"page-{number}.png")
                (out / f"page-{number}.txt").write_text(text, encoding="utf-8")
            (out / "pages").write_text(str(len(images)))
            if target.exists():
                shutil.rmtree(target)
            out.rename(target)
        log.info("rendered %s page(s) of document %s", self.count(sha256), sha256[:12])


def _words_of(pdf: Path, pages: int, sha256: str) -> list[PageWords]:
    """The pages' word boxes; none (links then go to the page only) when pdfplumber cannot
    read a PDF that poppler could render."""
    try:
        return read_words(pdf, pages)
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds; the pages still show
        log.warning("document %s: no word boxes (%s)", sha256[:12], type(exc).__name__)
        return []


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
