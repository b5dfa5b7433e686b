"""ImapSource against a real Dovecot: folders, PEEK, MOVE and its fallbacks, IDLE, UIDVALIDITY."""
# ruff: noqa: F811  (pytest fixtures imported from tests.services are parameters here)

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from intake.config import MailboxSettings
from intake.mailbox.faults import SourceUnavailable
from intake.mailbox.imap import ImapSource
from tests.services.dovecot import (  # noqa: F401  (fixtures)
    DovecotServer,
    dovecot,
    dovecot_nomove,
    dovecot_plain,
    referral_email,
)

pytestmark = pytest.mark.dovecot


def mailbox_for(server: DovecotServer, user: str, tmp_path: Path, **extra: object) -> MailboxSettings:
    secret = tmp_path / f"{user}.pw"
    secret.write_text(server.passwords[user] + "\n")
    return MailboxSettings(key="cme", host=server.host, port=server.port, tls="none",
                           username=user, password_file=str(secret), **extra)  # type: ignore[arg-type]


def opened(server: DovecotServer, user: str, tmp_path: Path, **extra: object) -> ImapSource:
    source = ImapSource(mailbox_for(server, user, tmp_path, **extra), timeout=10)
    source.open()
    return source


def flags_of(server: DovecotServer, user: str, folder: str = "INBOX") -> list[tuple[bytes, ...]]:
    with server.client(user) as client:
        client.select_folder(folder, readonly=True)
        return [tuple(v) for _uid, v in sorted(client.get_flags(client.search("ALL")).items())]


def test_open_creates_targets_and_fetch_never_marks_read(dovecot: DovecotServer,
                                                        tmp_path: Path) -> None:
    user, _ = dovecot.new_user()
    raws = [referral_email(n) for n in range(2)]
    dovecot.append_many(user, raws)
    source = opened(dovecot, user, tmp_path)
    try:
        assert {"Processed", "Failed"} <= set(dovecot.folders(user))
        uids = source.waiting()
        assert len(uids) == 2 and source.uidvalidity
        described = source.describe(uids)
        assert [c.key for c in described] == uids
        assert described[0].size == len(raws[0].replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        assert described[0].message_id and described[0].message_id.startswith("<referral-0-")
        body = source.fetch(uids[0])
        assert body is not None and b"cme-referral-0.docx" in body
        assert source.fetch_headers(uids[0]).endswith(b"\r\n\r\n")  # type: ignore[union-attr]
        assert all(b"\\Seen" not in flags for flags in flags_of(dovecot, user))
        assert source.fetch(99999) is None
    finally:
        source.close()


def test_move_uses_move_when_offered(dovecot: DovecotServer, tmp_path: Path) -> None:
    user, _ = dovecot.new_user()
    dovecot.append_many(user, [referral_email(1), referral_email(2)])
    source = opened(dovecot, user, tmp_path)
    try:
        assert b"MOVE" in source.capabilities
        first, second = source.waiting()
        source.move(first, "processed")
        source.move(second, "failed")
        source.move(first, "processed")  # already gone: a no-op, not an error
    finally:
        source.close()
    assert (dovecot.count(user), dovecot.count(user, "Processed"), dovecot.count(user, "Failed")) \
        == (0, 1, 1)


def _flag_deleted_by_someone_else(server: DovecotServer, user: str) -> None:
    with server.client(user) as client:
        client.select_folder("INBOX")
        [other] = [uid for uid in client.search("ALL")][:1]
        client.add_flags([other], [b"\\Deleted"])


def test_copy_fallback_expunges_only_our_uid(dovecot_nomove: DovecotServer,
                                            tmp_path: Path) -> None:
    server = dovecot_nomove
    user, _ = server.new_user()
    server.append_many(user, [referral_email(1), referral_email(2)])
    _flag_deleted_by_someone_else(server, user)  # another client's pending deletion
    source = opened(server, user, tmp_path)
    try:
        assert b"MOVE" not in source.capabilities and b"UIDPLUS" in source.capabilities
        [ours] = source.waiting()  # \Deleted messages are not ours to take
        source.move(ours, "processed")
    finally:
        source.close()
    assert server.count(user, "Processed") == 1
    assert server.count(user) == 1  # the other client's \Deleted message is still there
    assert flags_of(server, user) == [(b"\\Deleted",)]


def test_without_uidplus_the_original_is_flagged_and_left(dovecot_plain: DovecotServer,
                                                          tmp_path: Path) -> None:
    server = dovecot_plain
    user, _ = server.new_user()
    server.append(user, referral_email(1))
    source = opened(server, user, tmp_path)
    try:
        assert not ({b"MOVE", b"UIDPLUS"} & source.capabilities)
        [uid] = source.waiting()
        source.move(uid, "processed")
        assert source.waiting() == []  # flagged \Deleted: never taken again
    finally:
        source.close()
    assert server.count(user, "Processed") == 1 and server.count(user) == 1
    assert flags_of(server, user) == [(b"\\Deleted",)]


def test_nested_target_folders_follow_the_server_delimiter(dovecot: DovecotServer,
                                                           tmp_path: Path) -> None:
    user, _ = dovecot.new_user()
    source = opened(dovecot, user, tmp_path, processed_folder="Intake/Processed",
                    failed_folder="Intake/Failed")
    source.close()
    folders = set(dovecot.folders(user))
    assert {"Intake.Processed", "Intake.Failed"} <= folders  # Maildir++ uses "."


def test_missing_watched_folder_is_a_clear_fault(dovecot: DovecotServer, tmp_path: Path) -> None:
    user, _ = dovecot.new_user()
    source = ImapSource(mailbox_for(dovecot, user, tmp_path, folder="Referrals"), timeout=10)
    with pytest.raises(SourceUnavailable, match="watched folder 'Referrals' does not exist"):
        source.open()
    source.close()


def test_locate_by_message_id_after_uidvalidity_change(dovecot: DovecotServer,
                                                       tmp_path: Path) -> None:
    user, _ = dovecot.new_user()
    dovecot.append_many(user, [referral_email(1), referral_email(2)])
    source = opened(dovecot, user, tmp_path)
    [first, second] = source.describe(source.waiting())
    old = source.uidvalidity
    assert source.locate(key=second.key, message_id=None, uidvalidity=old) == second.key
    source.close()
    dovecot.set_uidvalidity(user, "INBOX", (old or 0) + 1000)
    source.open()
    try:
        assert source.uidvalidity == (old or 0) + 1000
        found = source.locate(key=second.key, message_id=second.message_id, uidvalidity=old)
        assert found is not None and source.describe([found])[0].message_id == second.message_id
        assert source.locate(key=1, message_id="<nobody@example.org>", uidvalidity=old) is None
    finally:
        source.close()


def test_idle_wakes_on_append_and_interrupt_ends_it(dovecot: DovecotServer,
                                                    tmp_path: Path) -> None:
    user, _ = dovecot.new_user()
    source = opened(dovecot, user, tmp_path)
    stop = threading.Event()
    try:
        assert b"IDLE" in source.capabilities
        timer = threading.Timer(0.5, dovecot.append, args=(user, referral_email(1)))
        timer.start()
        began = time.monotonic()
        source.wait(60, stop)
        assert time.monotonic() - began < 5
        assert len(source.waiting()) == 1
        stopper = threading.Timer(0.5, lambda: (stop.set(), source.interrupt()))
        stopper.start()
        began = time.monotonic()
        with pytest.raises(SourceUnavailable):
            source.wait(60, stop)  # the socket was shut to end IDLE: the session is over
        assert time.monotonic() - began < 5
    finally:
        source.close()


def test_polling_when_idle_is_off(dovecot: DovecotServer, tmp_path: Path) -> None:
    user, _ = dovecot.new_user()
    source = opened(dovecot, user, tmp_path, idle=False)
    stop = threading.Event()
    try:
        began = time.monotonic()
        source.wait(0.3, stop)
        assert 0.25 < time.monotonic() - began < 3
    finally:
        source.close()
