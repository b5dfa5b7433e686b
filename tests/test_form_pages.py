"""The form beside the record: pages rendered server-side, cached by hash, fields linked."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from intake.core.rules import RuleSettings
from intake.ingest import ingest_message
from intake.web.form_pages import PageCache
from intake.web.form_places import FormView
from intake.web.testing import add_users, make_app, migrated_engine, sign_in
from models.store import SourceRef
from tests.services.base import require_binary

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
MAILS = {"cme": "e04_inline_pdf_cme.eml", "ene": "e01_plain_docx_ene.eml"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_binary("pdftoppm", "poppler-utils")
    folder = tmp_path_factory.mktemp("form")
    engine = migrated_engine(folder / "form.db")
    add_users(engine)
    refs = {}
    for mailbox, name in MAILS.items():
        source = SourceRef(mailbox=mailbox, source="file", account="tests", folder="INBOX")
        refs[mailbox] = ingest_message(engine, raw=(GOLDEN / name).read_bytes(), source=source,
                                       settings=RuleSettings()).case_reference
    return make_app(engine, page_cache_dir=str(folder / "pages")), refs, folder / "pages"


def test_a_pdf_forms_pages_are_images_and_values_link_to_their_page(site):
    app, refs, cache = site
    client = sign_in(TestClient(app), "central-aio")
    page = client.get(f"/cases/{refs['cme']}").text
    assert 'id="the-form"' in page
    image = re.search(r'src="(/cases/[^"]+/pages/1\.png)"', page).group(1)
    started = time.monotonic()
    first = client.get(image)
    assert first.status_code == 200 and first.content.startswith(b"\x89PNG")
    assert first.headers["content-type"] == "image/png"
    rendered = time.monotonic() - started
    started = time.monotonic()
    assert client.get(image).content == first.content
    assert time.monotonic() - started < max(rendered, 0.05)  # served from the cache
    assert len(list(cache.iterdir())) == 1  # one folder per document hash
    linked = client.get(f"/cases/{refs['cme']}").text
    assert re.search(r'href="#doc-\d+-page-1(-at-[a-z0-9-]+)?">on the form, page 1<', linked)
    assert client.get(image.replace("/1.png", "/99.png")).status_code == 404


def test_a_word_form_is_converted_then_rendered(site):
    require_binary("soffice", "libreoffice")
    app, refs, _ = site
    client = sign_in(TestClient(app), "ene-aio")
    page = client.get(f"/cases/{refs['ene']}").text
    assert 'class="highlight"' in page  # the first view waited for the conversion
    image = re.search(r'src="(/cases/[^"]+/pages/1\.png)"', page).group(1)
    assert client.get(image).content.startswith(b"\x89PNG")
    again = client.get(f"/cases/{refs['ene']}").text
    assert "on the form, page" in again  # found by the page text once rendered


def test_another_areas_pages_are_refused(site):
    app, refs, _ = site
    client = sign_in(TestClient(app), "south-aio")
    assert client.get(f"/cases/{refs['cme']}/documents/0/pages/1.png").status_code == 403


def test_locators_and_text_find_the_page(tmp_path):
    view = FormView(PageCache(tmp_path), [{"sha256": "a" * 64, "media_type": "application/pdf",
                                           "pages": 3}])
    assert view.page_of({"document": 0, "locator": "page 2, field Surname"}, "x") == 2
    assert view.page_of({"document": 0, "locator": "page 9"}, "x") == 3
    assert view.page_of({"document": 0, "locator": "table 1, row 2"}, "Quill") == 1
    assert view.page_of({"document": None, "locator": "corrected"}, "x") is None
