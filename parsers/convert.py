"""Legacy Word (.doc), OpenDocument (.odt) and rich text (.rtf) forms, via LibreOffice.

Some schools still save the referral form as Word 97-2003. Headless LibreOffice converts it
to .docx, which the DOCX reader then reads like any other form (``extraction:
"doc_converted"``). LibreOffice is a big program fed hostile bytes, so (pitfalls §3, §7):

* every call gets a fresh private profile (a copy of a pristine one made once per machine
  user), so concurrent runs never collide on the shared profile lock, and no state carries
  over from one school's file to the next;
* that profile sets macro security to "very high", disables macro execution and never
  updates links, so nothing in the file runs and nothing is fetched;
* calls are serialised (a thread lock and a lock file), bounded by a timeout, and on timeout
  the whole process group is killed (``soffice`` forks ``soffice.bin``); inside an isolated
  worker LibreOffice stays in the worker's group so killing the worker kills it too;
* password-protected files are recognised first (msoffcrypto-tool, the ODF manifest) and get
  a reason the AIO can act on instead of a conversion failure.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from parsers import sniff as types
from parsers.entries import ExtractedForm
from parsers.errors import UnreadableDocument

log = logging.getLogger(__name__)

KnownLabel = Callable[[str], bool]
SUFFIX = {types.DOC: ".doc", types.ODT: ".odt", types.RTF: ".rtf"}
KIND = {types.DOC: "Word 97-2003 (.doc)", types.ODT: "OpenDocument (.odt)",
        types.RTF: "rich text (.rtf)"}
MIN_TIMEOUT = 5.0
_THREAD_LOCK = threading.Lock()
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseOpenCL" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""  # noqa: E501


def read_converted(content: bytes, known_label: KnownLabel, limits: object) -> ExtractedForm:
    """Reader for .doc/.odt/.rtf: convert to .docx, read it, mark it ``doc_converted``."""
    from parsers.documents import ReadLimits, read_document

    media_type = types.sniff(content)
    if media_type not in SUFFIX:
        raise UnreadableDocument("the file is not a Word 97-2003, OpenDocument or rich-text "
                                 "document")
    refuse_protected(content, media_type)
    assert isinstance(limits, ReadLimits)
    docx = convert_to_docx(content, media_type, timeout=_timeout(limits.wall_seconds))
    form = read_document(docx, types.DOCX, known_label=known_label,
                         limits=replace(limits, isolate=False))
    form.extraction = "doc_converted"
    form.notes.append(f"converted from {KIND[media_type]} by LibreOffice")
    return form


def _timeout(wall_seconds: float) -> float:
    """Leave the isolated worker a few seconds to report a conversion timeout itself."""
    return max(MIN_TIMEOUT, wall_seconds - 5.0)


def refuse_protected(content: bytes, media_type: str) -> None:
    """A password-protected file cannot be converted: say so plainly."""
    if media_type == types.DOC and _ole_encrypted(content):
        raise UnreadableDocument("the Word 97-2003 (.doc) document is password-protected: ask "
                                 "the school to send it without a password")
    if media_type == types.ODT and _odf_encrypted(content):
        raise UnreadableDocument("the OpenDocument (.odt) file is password-protected: ask the "
                                 "school to send it without a password")


def _ole_encrypted(content: bytes) -> bool:
    try:
        import msoffcrypto

        return bool(msoffcrypto.OfficeFile(io.BytesIO(content)).is_encrypted())
    except Exception:  # noqa: BLE001 - msoffcrypto raises many types on odd files
        return False


def _odf_encrypted(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("META-INF/manifest.xml")
            if info.file_size > 1024 * 1024:
                return False
            return b"encryption-data" in archive.read(info)
    except Exception:  # noqa: BLE001 - no manifest: not encrypted by ODF rules
        return False


def soffice_binary() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    fallback = "/usr/lib/libreoffice/program/soffice"
    return found or (fallback if os.path.exists(fallback) else None)


def convert_to_docx(content: bytes, media_type: str, *, timeout: float = 25.0) -> bytes:
    """The .docx LibreOffice makes of ``content``; raises UnreadableDocument on any failure."""
    binary = soffice_binary()
    kind = KIND.get(media_type, "this")
    if binary is None:
        raise UnreadableDocument(f"{kind} files cannot be read on this server (LibreOffice is "
                                 "not installed): ask the school for Word (.docx) or PDF")
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="cme-convert-") as work, _serialised(deadline):
        folder = Path(work)
        source = folder / f"document{SUFFIX.get(media_type, '.bin')}"
        source.write_bytes(content)
        profile = _fresh_profile(binary, folder / "profile")
        command = [binary, "--headless", "--norestore", "--nolockcheck", "--nologo",
                   "--nodefault", "--nofirststartwizard",
                   f"-env:UserInstallation={profile.as_uri()}",
                   "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(folder / "out"),
                   str(source)]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise UnreadableDocument(_too_slow(kind, timeout))
        _run(command, remaining, folder, kind, timeout)
        result = folder / "out" / "document.docx"
        if not result.exists() or result.stat().st_size == 0:
            raise UnreadableDocument(f"LibreOffice could not convert the {kind} file: it is "
                                     "damaged or not really that format; ask the school to "
                                     "send the form again as .docx or PDF")
        return result.read_bytes()


def _too_slow(kind: str, timeout: float) -> str:
    return (f"converting the {kind} file took longer than {timeout:.0f} s; it may be damaged "
            "or malicious: ask the school to send the form as .docx or PDF")


def _run(command: list[str], remaining: float, folder: Path, kind: str, timeout: float) -> None:
    """Run LibreOffice in its own process group (own session unless inside a worker)."""
    from parsers import isolation

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
           "LANG": "C.UTF-8", "SAL_USE_VCLPLUGIN": "svp", "TMPDIR": str(folder)}
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env, cwd=folder,
                               start_new_session=not isolation.in_worker())
    try:
        code = process.wait(timeout=remaining)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        log.info("soffice timed out after %.1f s", remaining)
        raise UnreadableDocument(_too_slow(kind, timeout)) from None
    finally:
        if process.poll() is None:
            _kill_group(process)
    if code != 0:
        log.info("soffice exited with %s", code)
        raise UnreadableDocument(f"LibreOffice could not convert the {kind} file (exit "
                                 f"{code}): it may be damaged; ask the school for .docx or PDF")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    from parsers import isolation

    with contextlib.suppress(OSError):
        if isolation.in_worker():
            process.kill()  # the worker's own group is killed by whoever times the worker
            _kill_descendants(process.pid)
        else:
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.wait(timeout=5)


def _kill_descendants(pid: int) -> None:
    """soffice.bin outlives the oosplash it was started by: find it through /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    stack = list(children.get(pid, []))
    while stack:
        child = stack.pop()
        stack += children.get(child, [])
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)


@contextlib.contextmanager
def _serialised(deadline: float) -> Iterator[None]:
    """One conversion at a time on this machine (threads here, and other worker processes)."""
    if not _THREAD_LOCK.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise UnreadableDocument("LibreOffice was busy with other documents for too long; "
                                 "the document will be read on the next attempt")
    try:
        path = _state_dir() / "soffice.lock"
        with open(path, "a+b") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise UnreadableDocument(
                            "LibreOffice was busy with other documents for too long; the "
                            "document will be read on the next attempt") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        _THREAD_LOCK.release()


def _state_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / f"cme-intake-soffice-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _fresh_profile(binary: str, target: Path) -> Path:
    """A private profile for one call: a copy of a pristine one (LibreOffice restarts itself
    once when it creates a profile, which doubles the cost of a call)."""
    template = _state_dir() / "profile-template"
    if not (template / "user" / "registrymodifications.xcu").exists():
        _make_template(binary, template)
    shutil.copytree(template, target, symlinks=False)
    _write_settings(target)
    return target


def _make_template(binary: str, template: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix="template-", dir=_state_dir()))
    try:
        _write_settings(staging)
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run([binary, "--headless", "--norestore", "--nolockcheck",
                            "--terminate_after_init", f"-env:UserInstallation={staging.as_uri()}"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60, cwd=staging,
                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                "HOME": str(staging), "SAL_USE_VCLPLUGIN": "svp"})
        _write_settings(staging)
        with contextlib.suppress(OSError):
            os.rename(staging, template)  # atomic; loses harmlessly to a concurrent maker
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_settings(profile: Path) -> None:
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS, encoding="utf-8")


def read_ole(content: bytes, known_label: KnownLabel, limits: object) -> ExtractedForm:
    """Reader for OLE files that are none of the kinds above (often a truncated .doc/.msg)."""
    if _ole_encrypted(content):
        raise UnreadableDocument("the Office file is password-protected: ask the school to "
                                 "send it without a password")
    raise UnreadableDocument("the Office file is damaged or truncated, or of a kind that "
                             "cannot be read: ask the school to send it again as Word (.docx) "
                             "or PDF")
