"""The Microsoft Graph mail source against the loopback Graph server (tests.services.graph).

Folders found and created, delta rounds (first full, then only changes; a forgotten token
starts over), immutable ids across a move, the header block of an oversized message,
throttling waited out as the server asks, a revoked token renewed once, and every
tenant-side mistake (consent, access policy, secret, mailbox name) told in words.
"""
# ruff: noqa: F811  (pytest fixtures imported from tests.services are parameters here)

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from intake.mailbox.faults import LoginFailed, SourceUnavailable, Throttled
from intake.mailbox.graph import GraphSource
from intake.mailbox.graph_api import GraphRefusal, refusal, retry_after_seconds
from tests.services.dovecot import referral_email
from tests.services.graph import (  # noqa: F401  (fixture)
    GraphServer,
    graph_server,
    mailbox_settings,
    self_signed,
)


def source_for(graph: GraphServer, tmp_path: Path, *, upn: str | None = None,
               mailboxes: set[str] | None = None, **extra: object) -> tuple[GraphSource, str]:
    upn = upn or graph.new_mailbox()
    app = graph.register_app(secret="s3cret-Graph-Value", mailboxes=mailboxes)
    return GraphSource(mailbox_settings(graph, upn, app, tmp_path, **extra)), upn


def test_target_folders_are_created_once_and_nested_folders_found(graph_server: GraphServer,
                                                                  tmp_path: Path) -> None:
    source, upn = source_for(graph_server, tmp_path, folder="Inbox/Referrals",
                             processed_folder="Inbox/Referrals/Done")
    with pytest.raises(SourceUnavailable, match="watched folder 'Inbox/Referrals' does not exist"):
        source.open()
    box = graph_server.store.mailbox(upn)
    assert box is not None
    graph_server.store.make_folder(box, "Referrals", box.folders["inbox"].id)
    source.open()
    source.open()  # a restart finds them again
    names = sorted(f.display_name for f in box.folders.values())
    assert names.count("Done") == 1 and names.count("Failed") == 1
    assert graph_server.store.find_folder(upn, "Inbox/Referrals/Done") is not None


def test_a_folder_another_daemon_just_created_is_used(graph_server: GraphServer,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    source, upn = source_for(graph_server, tmp_path)
    box = graph_server.store.mailbox(upn)
    assert box is not None
    theirs = graph_server.store.make_folder(box, "Processed")
    real = source._child
    calls: list[str] = []

    def listed_before_they_created_it(parent: str | None, name: str) -> str | None:
        calls.append(name)
        return None if calls.count(name) == 1 else real(parent, name)

    monkeypatch.setattr(source, "_child", listed_before_they_created_it)
    source.open()  # POST answers 409 ErrorFolderExists: the folder made meanwhile is used
    assert source._targets["processed"] == theirs.id


def test_delta_lists_the_folder_then_only_what_changed(graph_server: GraphServer,
                                                       tmp_path: Path) -> None:
    source, upn = source_for(graph_server, tmp_path)
    raws = [referral_email(n, docx=False) for n in range(130)]  # two pages of 100
    for raw in raws[:120]:
        graph_server.deliver(upn, raw)
    source.open()
    keys = source.waiting()
    assert len(keys) == 120
    sizes = {raw.split(b"Message-ID: ", 1)[1].split(b"\n", 1)[0].decode(): len(raw)
             for raw in raws}
    described = source.describe(keys)
    assert all(c.size == sizes[str(c.message_id)] and c.internal_date for c in described)
    for raw in raws[120:]:
        graph_server.deliver(upn, raw)
    before = len(graph_server.requests)
    assert len(source.waiting()) == 130
    assert len(graph_server.requests) - before == 1, "one delta page, not a new listing"
    source.move(keys[0], "processed")
    assert keys[0] not in source.waiting() and graph_server.store.count(upn, "Processed") == 1
    graph_server.store.expire_delta_tokens()  # the server forgot the token: 410, list again
    assert len(source.waiting()) == 129


def test_immutable_ids_survive_the_move_and_locate_knows_where_it_is(
        graph_server: GraphServer, tmp_path: Path) -> None:
    source, upn = source_for(graph_server, tmp_path)
    immutable = graph_server.deliver(upn, referral_email(1, docx=False))
    source.open()
    [key] = source.waiting()
    assert key == immutable
    message_id = source.describe([key])[0].message_id
    assert source.locate(key=None, message_id=message_id, uidvalidity=None) == key
    assert source.locate(key=key, message_id=None, uidvalidity=None) == key
    source.move(key, "failed")
    assert source.locate(key=key, message_id=None, uidvalidity=None) is None  # moved already
    assert source.fetch(key) is not None, "the same id still names the moved message"
    source.move(key, "failed")  # idempotent
    assert graph_server.store.count(upn, "Failed") == 1
    sent = [prefer for _t, _m, path, prefer in graph_server.requests if upn in path]
    assert sent and all('IdType="ImmutableId"' in prefer for prefer in sent)


def test_the_raw_mime_and_the_header_block_of_an_oversized_message(
        graph_server: GraphServer, tmp_path: Path) -> None:
    source, upn = source_for(graph_server, tmp_path)
    raw = referral_email(7, padding=5000)
    graph_server.deliver(upn, raw)
    source.open()
    [key] = source.waiting()
    assert source.fetch(key) == raw
    head = source.fetch_headers(key) or b""
    assert head.endswith(b"\r\n\r\n") and b"Message-ID: <referral-7-" in head
    assert b"Please find" not in head
    assert source.fetch("AAkALg-no-such-message") is None


def test_throttling_is_waited_out_as_the_server_asks(graph_server: GraphServer,
                                                     tmp_path: Path) -> None:
    source, upn = source_for(graph_server, tmp_path)
    graph_server.deliver(upn, referral_email(1, docx=False))
    source.open()
    graph_server.throttle(2, retry_after=0.6)
    began = time.monotonic()
    assert len(source.waiting()) == 1
    assert time.monotonic() - began >= 1.2
    times = [t for t, _m, path, _p in graph_server.requests if upn in path][-3:]
    assert times[1] - times[0] >= 0.6 and times[2] - times[1] >= 0.6, "retried too soon"
    graph_server.throttle(1, retry_after=3600)  # longer than we wait in place: the worker's turn
    with pytest.raises(Throttled) as caught:
        source.waiting()
    assert caught.value.retry_after == 3600


def test_a_revoked_token_is_renewed_once(graph_server: GraphServer, tmp_path: Path) -> None:
    source, upn = source_for(graph_server, tmp_path)
    source.open()
    issued = graph_server.token_requests
    graph_server.tokens.clear()  # every token revoked: 401 InvalidAuthenticationToken
    assert source.waiting() == []
    assert graph_server.token_requests == issued + 1


@pytest.mark.parametrize("mistake, words", [
    ("policy", "application access policy includes this mailbox"),
    ("secret", "invalid_client"),
    ("mailbox", "there is no such mailbox"),
])
def test_tenant_side_mistakes_are_told_in_words(graph_server: GraphServer, tmp_path: Path,
                                                mistake: str, words: str) -> None:
    upn = graph_server.new_mailbox()
    app = graph_server.register_app(
        secret="s3cret-Graph-Value",
        mailboxes={"someone-else@council.example.org"} if mistake == "policy" else None)
    if mistake == "secret":
        app.secret = "the-Real-Secret-9"
    settings = mailbox_settings(graph_server, upn if mistake != "mailbox"
                                else "nobody@council.example.org", app, tmp_path)
    if mistake == "secret":
        (tmp_path / "graph-secret-cme").write_text("a-Wrong-Secret-8")
    with pytest.raises(SourceUnavailable) as caught:
        GraphSource(settings).open()
    assert words in caught.value.reason
    assert "a-Wrong-Secret-8" not in caught.value.reason and upn not in caught.value.reason
    if mistake != "mailbox":
        assert isinstance(caught.value, LoginFailed)


def test_certificate_credential(graph_server: GraphServer, tmp_path: Path) -> None:
    key_pem, cert_pem = self_signed("cme-intake")
    app = graph_server.register_app(certificate=cert_pem)
    (tmp_path / "graph-app-cme.pem").write_bytes(key_pem + cert_pem)
    upn = graph_server.new_mailbox()
    graph_server.deliver(upn, referral_email(1, docx=False))
    source = GraphSource(mailbox_settings(graph_server, upn, app, tmp_path))
    source.open()
    assert len(source.waiting()) == 1


def test_retry_after_and_refusals_are_read_as_documented() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    when = format_datetime(datetime.fromtimestamp(1_000_100, tz=UTC), usegmt=True)
    assert retry_after_seconds(when, now=1_000_000) == pytest.approx(100.0)
    assert isinstance(refusal(401, "InvalidAuthenticationToken", "", where="w"), LoginFailed)
    gone = refusal(410, "SyncStateNotFound", "x", where="w")
    assert isinstance(gone, GraphRefusal) and gone.status == 410
    assert "Mail.ReadWrite" in refusal(403, "ErrorAccessDenied", "Access to OData is disabled",
                                       where="w").reason
