"""Legacy Word (.doc), OpenDocument and RTF forms through LibreOffice (pitfalls §3, §7).

The golden cases are golden Word fixtures saved by LibreOffice as .doc/.odt/.rtf at test
time (one soffice run per format), then parsed: the record must equal the golden one, with
``extraction: "doc_converted"``. Needs ``soffice``: skipped locally without it, fails in CI.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from parsers import convert, sniff
from parsers.documents import ReadLimits
from parsers.errors import UnreadableDocument
from tests.services.base import require_binary
from tests.test_golden import GOLDEN, comparable, differences, parse

pytestmark = [pytest.mark.slow, pytest.mark.libreoffice]
CASES = {"doc": ("d01_two_col_complete", "d11_x_marks", "f12_risk_forced_marriage"),
         "odt": ("d03_paragraphs_ordinal",), "rtf": ("d01_two_col_complete",)}
MEDIA = {"doc": sniff.DOC, "odt": sniff.ODT, "rtf": sniff.RTF}


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden .docx cases saved as .doc, .odt and .rtf by LibreOffice."""
    soffice = require_binary("soffice", "libreoffice-writer")
    folder = tmp_path_factory.mktemp("converted")
    for ext, stems in CASES.items():
        sources = [str(GOLDEN / f"{stem}.docx") for stem in stems]
        profile = folder / f"profile-{ext}"
        subprocess.run([soffice, "--headless", "--norestore", "--nolockcheck",
                        f"-env:UserInstallation={profile.as_uri()}", "--convert-to", ext,
                        "--outdir", str(folder), *sources],
                       check=True, capture_output=True, timeout=240)
    return folder


@pytest.mark.parametrize(("ext", "stem"), [(ext, stem) for ext, stems in CASES.items()
                                           for stem in stems])
def test_golden_through_libreoffice(converted: Path, ext: str, stem: str) -> None:
    path = converted / f"{stem}.{ext}"
    assert sniff.sniff(path.read_bytes()) == MEDIA[ext]
    actual = parse(path, ["--received", "2026-11-02"])
    expected = json.loads((GOLDEN / f"{stem}.expected.json").read_text())
    (document,) = actual["documents"]
    assert (document["extraction"], document["media_type"], document["problem"]) == (
        "doc_converted", MEDIA[ext], None)
    want, got = comparable(expected), comparable(actual)
    want.pop("documents")
    got.pop("documents")
    assert not differences(want, got), "\n".join(differences(want, got))


def test_timeout_kills_libreoffice(converted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = (converted / "d01_two_col_complete.doc").read_bytes()
    ours: list[str] = []  # this test's work folders: another worker's conversion is not ours
    real = convert.tempfile.TemporaryDirectory

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        folder = real(*args, **kwargs)
        ours.append(folder.name)
        return folder

    monkeypatch.setattr(convert.tempfile, "TemporaryDirectory", recorded)
    for _ in range(20):  # another test's conversion may hold the machine-wide lock: wait
        with pytest.raises(UnreadableDocument) as caught:
            convert.convert_to_docx(content, sniff.DOC, timeout=0.3)
        if "busy with other documents" not in caught.value.reason:
            break
        time.sleep(3)
    assert "took longer than" in caught.value.reason
    deadline = time.monotonic() + 10
    while _converters_running(ours) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _converters_running(ours), "soffice left running after the timeout"


def _converters_running(folders: list[str]) -> list[str]:
    """LibreOffice processes still working in one of ``folders``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(os.getpid()) != entry.name and any(folder in line for folder in folders):
                found.append(line)
    return found


def test_profile_never_runs_macros_or_updates_links(tmp_path: Path) -> None:
    convert._write_settings(tmp_path)
    settings = (tmp_path / "user" / "registrymodifications.xcu").read_text()
    assert '"MacroSecurityLevel" oor:op="fuse"><value>3<' in settings
    assert '"DisableMacrosExecution" oor:op="fuse"><value>true<' in settings
    assert '"Link" oor:op="fuse"><value>2<' in settings


def test_password_protected_odt_is_named_as_such() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("META-INF/manifest.xml", '<manifest:manifest><manifest:file-entry>'
                         '<manifest:encryption-data/></manifest:file-entry></manifest:manifest>')
        archive.writestr("content.xml", b"\x8a\x91 encrypted bytes")
    with pytest.raises(UnreadableDocument, match="password-protected"):
        convert.read_converted(out.getvalue(), lambda text: False, ReadLimits())


def test_missing_libreoffice_is_a_clear_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert, "soffice_binary", lambda: None)
    with pytest.raises(UnreadableDocument, match="LibreOffice is not installed"):
        convert.convert_to_docx(b"{\\rtf1 x}", sniff.RTF)



def test_truncated_doc_is_damaged(converted: Path) -> None:
    content = (converted / "d01_two_col_complete.doc").read_bytes()[:3000]
    with pytest.raises(UnreadableDocument, match="damaged or truncated"):
        convert.read_ole(content, lambda text: False, ReadLimits())
