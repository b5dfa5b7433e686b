"""Subject access export: every document of the child, nothing of another (both databases)."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select
from sqlmodel import Session

from models.crypto import new_keyring
from models.db import make_engine, migrate
from models.subject_export import export_subject
from models.tables import AuditEvent, Blob, Case, Document, Message
from tests.test_store import ingest, pupil_fields, referral_email, valid_upn

UPN = valid_upn("201234567891")


def _contents(engine, reference: str) -> set[bytes]:
    """The original bytes of every email and attachment of a case."""
    with Session(engine) as session:
        case_id = session.scalars(select(Case.id).where(Case.reference == reference)).one()
        messages = session.scalars(select(Message).where(Message.case_id == case_id)).all()
        shas = {m.raw_sha256 for m in messages}
        shas |= set(session.scalars(select(Document.sha256).where(
            Document.message_pk.in_([m.id for m in messages]))))
        return {session.get(Blob, sha).content for sha in shas}


def test_export_holds_every_document_of_the_child_and_nothing_of_another(db_url):
    engine = make_engine(db_url, keyring=new_keyring())
    migrate(engine)
    child = pupil_fields(Surname="Quillfeather", Forenames="Ottilie", UPN=UPN)
    first = ingest(engine, referral_email(fields=child, message_id="<q1@hillside.example>"))
    ingest(engine, referral_email(in_reply_to="<q1@hillside.example>",
                                  subject=f"Re: {first.case_reference}",
                                  attachments=(("letter.docx", b"PK-not-really-a-letter"),)))
    second = ingest(engine, referral_email(fields=child))  # referred again: a second case
    other = ingest(engine, referral_email(fields=pupil_fields(Surname="Brackenridge",
                                                              Forenames="Tomas")))
    data, references = export_subject(engine, actor="ig-officer", upn=UPN)
    assert references == [first.case_reference, second.case_reference]
    archive = zipfile.ZipFile(io.BytesIO(data))
    members = {name: archive.read(name) for name in archive.namelist()}
    for reference in references:
        assert _contents(engine, reference) <= set(members.values())
        assert f"{reference}/records/version-1.html" in members
        assert json.loads(members[f"{reference}/audit.json"])
    assert not any(b"Brackenridge" in content for content in members.values())
    assert not any(name.startswith(other.case_reference) for name in members)
    by_name, again = export_subject(engine, actor="ig-officer", surname="quillfeather",
                                    forenames="Ottilie", date_of_birth="2014-09-03")
    assert again == references
    with Session(engine) as session:
        audited = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "subject_exported")).all()
    assert len(audited) == 4 and {e.detail["lookup"] for e in audited} == {
        "upn", "name_and_date_of_birth"}
    assert all("Quillfeather" not in json.dumps(e.detail) for e in audited)
    engine.dispose()
