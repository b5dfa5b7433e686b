"""check-config against a real Dovecot: each way a mailbox can be wrong, in plain words."""
# ruff: noqa: F811  (pytest fixtures imported from tests.services are parameters here)

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest
from imapclient.exceptions import IMAPClientError, LoginError

from intake.config import MailboxSettings, Settings
from intake.mailbox import check_config
from intake.mailbox.faults import LoginFailed, Throttled, TokenExpired, translate
from tests.services.base import free_port
from tests.services.dovecot import DovecotServer, dovecot  # noqa: F401  (fixture)

pytestmark = pytest.mark.dovecot


def imap_box(server: DovecotServer, tmp_path: Path, *, password: str | None = None,
             **extra: object) -> MailboxSettings:
    user = extra.pop("username", None) or server.new_user()[0]
    secret = tmp_path / "pw"
    secret.write_text(password or server.password)
    values = {"key": "cme", "host": server.host, "port": server.port, "tls": "none",
              "username": user, "password_file": str(secret)} | extra
    return MailboxSettings(**values)  # type: ignore[arg-type]


def check(box: MailboxSettings) -> tuple[bool, str, str]:
    [result] = check_config(Settings(mailbox=[box]), timeout=5)
    return result.ok, " | ".join(result.problems), " | ".join(result.notes)


def test_a_good_mailbox_passes_and_notes_what_it_will_create(dovecot: DovecotServer,
                                                             tmp_path: Path) -> None:
    ok, problems, notes = check(imap_box(dovecot, tmp_path))
    assert ok, problems
    assert "'Processed' is missing: the daemon will create it" in notes
    assert "IDLE, MOVE, UIDPLUS" in notes


def test_wrong_password_gets_plain_advice_and_no_secret(dovecot: DovecotServer,
                                                        tmp_path: Path) -> None:
    ok, problems, _ = check(imap_box(dovecot, tmp_path, password="not-the-password-x9"))
    assert not ok
    assert "login refused" in problems and "Microsoft 365" in problems
    assert "not-the-password-x9" not in problems


def test_missing_password_variable_is_named(dovecot: DovecotServer, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CME_TEST_NO_SUCH_PW", raising=False)
    box = imap_box(dovecot, tmp_path).model_copy(
        update={"password_file": None, "password_env": "CME_TEST_NO_SUCH_PW"})
    ok, problems, _ = check(box)
    assert not ok and "CME_TEST_NO_SUCH_PW is not set" in problems


def test_untrusted_certificate_is_reported(dovecot: DovecotServer, tmp_path: Path) -> None:
    ok, problems, _ = check(imap_box(dovecot, tmp_path, port=dovecot.tls_port, tls="implicit"))
    assert not ok and "certificate cannot be verified" in problems and "tls_ca_file" in problems


def test_trusted_certificate_works_for_implicit_tls_and_starttls(dovecot: DovecotServer,
                                                                 tmp_path: Path) -> None:
    ca = str(dovecot.cert_file)
    for port, mode in ((dovecot.tls_port, "implicit"), (dovecot.port, "starttls")):
        box = imap_box(dovecot, tmp_path, host="localhost", port=port, tls=mode, tls_ca_file=ca)
        ok, problems, _ = check(box)
        assert ok, (mode, problems)


def test_implicit_tls_on_a_plain_port_says_check_port_and_mode(dovecot: DovecotServer,
                                                               tmp_path: Path) -> None:
    box = imap_box(dovecot, tmp_path, tls="implicit", tls_ca_file=str(dovecot.cert_file))
    ok, problems, _ = check(box)
    assert not ok and "TLS handshake failed" in problems and "'port' and 'tls'" in problems


def test_connection_refused_and_dns_failures(dovecot: DovecotServer, tmp_path: Path) -> None:
    ok, problems, _ = check(imap_box(dovecot, tmp_path, port=free_port()))
    assert not ok and "connection refused" in problems
    ok, problems, _ = check(imap_box(dovecot, tmp_path, host="imap.no-such-host.invalid",
                                     tls="implicit"))
    assert not ok and "cannot be resolved (DNS)" in problems


def test_missing_watched_folder_is_a_problem(dovecot: DovecotServer, tmp_path: Path) -> None:
    ok, problems, _ = check(imap_box(dovecot, tmp_path, folder="Referrals"))
    assert not ok and "watched folder 'Referrals' does not exist" in problems


def test_maildir_checks(tmp_path: Path) -> None:
    box = MailboxSettings(key="south", source="maildir", path=str(tmp_path / "south"))
    [result] = check_config(Settings(mailbox=[box]))
    assert result.ok and "will create it" in result.notes[0]
    (tmp_path / "south").mkdir()
    [result] = check_config(Settings(mailbox=[box]))
    assert not result.ok and "is not a Maildir" in result.problems[0]


@pytest.mark.parametrize("text, kind, hint", [
    ("b'[THROTTLED] Request is throttled. Suggested Backoff Time: 299910 milliseconds'",
     Throttled, 299.91),
    ("b'Server Unavailable. 21'", Throttled, None),
    ("b'Session invalidated - AccessTokenExpired'", TokenExpired, None),
    ("b'[AUTHENTICATIONFAILED] Invalid credentials (Failure)'", LoginFailed, None),
    ("b'LOGIN failed.'", LoginFailed, None),
])
def test_exchange_and_gmail_replies_are_classified(text: str, kind: type, hint: float | None) -> None:
    fault = translate(IMAPClientError(text), where="mailbox cme", user="cme@example.org")
    assert isinstance(fault, kind)
    if hint is not None:
        assert fault.retry_after == pytest.approx(hint)  # type: ignore[attr-defined]


def test_oauth_refusal_points_at_the_exchange_setup() -> None:
    fault = translate(LoginError("b'AUTHENTICATE failed.'"), where="mailbox cme",
                      user="cme@example.org", oauth=True)
    assert isinstance(fault, LoginFailed)
    assert "IMAP.AccessAsApp" in fault.reason and "Add-MailboxPermission" in fault.reason


@pytest.mark.parametrize("exc, words", [
    (socket.gaierror(-2, "Name or service not known"), "DNS"),
    (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
    (TimeoutError("timed out"), "no answer"),
    (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "TLS handshake"),
])
def test_network_faults_become_advice(exc: BaseException, words: str) -> None:
    assert words in translate(exc, where="mailbox ene").reason
