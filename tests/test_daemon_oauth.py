"""OAuth2 (XOAUTH2) against Dovecot's oauth2 passdb, tokens from a local OAuth2 server.

msal itself is exercised against the local server (it needs https and OIDC discovery, both
provided by ``TokenService``); the daemon test uses the plain ``token_endpoint`` with
short-lived tokens, so it must renew the token and reconnect to keep working.
"""
# ruff: noqa: F811  (pytest fixtures imported from tests.services are parameters here)

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from intake.config import (
    DaemonSettings,
    DatabaseSettings,
    MailboxSettings,
    OAuth2Settings,
    Settings,
)
from intake.mailbox import check_config, run_daemon
from intake.mailbox.faults import LoginFailed
from intake.mailbox.oauth import TokenProvider
from tests.services.dovecot import (  # noqa: F401  (fixtures)
    DovecotServer,
    TokenService,
    dovecot_oauth,
    referral_email,
    token_service,
)

pytestmark = pytest.mark.dovecot


@pytest.fixture()
def msal_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests lets these override msal's ``verify``: unset them for the local CA."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def oauth(service: TokenService, tmp_path: Path, *, msal: bool, secret: str | None = None,
          ) -> OAuth2Settings:
    secret_file = tmp_path / "client-secret"
    secret_file.write_text(secret or service.secret)
    extra: dict[str, Any] = ({"authority": service.authority("tenant-1"),
                              "ca_file": str(service.cert_file)} if msal
                             else {"token_endpoint": service.token_url})
    return OAuth2Settings(tenant="tenant-1", client_id=service.client_id,
                          client_secret_file=str(secret_file), **extra)


def test_msal_client_credentials_token_is_cached_and_renewed(token_service: TokenService,
                                                             tmp_path: Path,
                                                             msal_env: None) -> None:
    provider = TokenProvider(oauth(token_service, tmp_path, msal=True))
    before = token_service.token_requests
    first = provider.token()
    assert first in token_service.issued
    assert provider.token() == first and token_service.token_requests == before + 1
    provider.invalidate()
    assert provider.token() != first and token_service.token_requests == before + 2


def test_msal_refusal_is_explained_without_the_secret(token_service: TokenService,
                                                      tmp_path: Path, msal_env: None) -> None:
    provider = TokenProvider(oauth(token_service, tmp_path, msal=True, secret="wrong-Secret-77"))
    with pytest.raises(LoginFailed) as caught:
        provider.token()
    assert "invalid_client" in caught.value.reason and "secret" in caught.value.reason
    assert "wrong-Secret-77" not in caught.value.reason


def test_msal_certificate_credential_is_passed_as_key_and_thumbprint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import msal

    seen: dict[str, Any] = {}

    class Recorder:
        def __init__(self, client_id: str, **kwargs: Any) -> None:
            seen.update(kwargs, client_id=client_id)

        def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
            seen["scopes"] = scopes
            return {"access_token": "tok-123456789", "expires_in": 3599}

    monkeypatch.setattr(msal, "ConfidentialClientApplication", Recorder)
    pem = tmp_path / "app.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----\n")
    provider = TokenProvider(OAuth2Settings(tenant="contoso-tenant", client_id="app-1",
                                            certificate_file=str(pem),
                                            certificate_thumbprint="AB12CD"))
    assert provider.token() == "tok-123456789"
    assert seen["client_id"] == "app-1"
    assert seen["authority"] == "https://login.microsoftonline.com/contoso-tenant"
    assert seen["client_credential"] == {"private_key": pem.read_text(), "thumbprint": "AB12CD"}
    assert seen["scopes"] == ["https://outlook.office365.com/.default"]
    assert seen["instance_discovery"] is True


def oauth_settings(server: DovecotServer, service: TokenService, tmp_path: Path, user: str,
                   **extra: Any) -> Settings:
    box = MailboxSettings(key="cme", host=server.host, port=server.port, tls="none",
                          username=user, oauth2=oauth(service, tmp_path, msal=False, **extra),
                          poll_interval=30)
    return Settings(database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'cases.db'}"),
                    mailbox=[box], daemon=DaemonSettings(backoff_initial=0.1, backoff_cap=1.0,
                                                         idle_check_seconds=0.5))


def test_daemon_logs_in_with_xoauth2_and_renews_short_tokens(dovecot_oauth: DovecotServer,
                                                             token_service: TokenService,
                                                             tmp_path: Path) -> None:
    user, _ = dovecot_oauth.new_user("cme")
    token_service.username = user
    settings = oauth_settings(dovecot_oauth, token_service, tmp_path, user)
    before = token_service.token_requests
    stop = threading.Event()
    thread = threading.Thread(target=run_daemon, args=(settings,),
                              kwargs={"once": False, "stop_event": stop})
    thread.start()
    try:
        dovecot_oauth.append(user, referral_email(1))
        deadline = time.monotonic() + 15
        while dovecot_oauth.count(user, "Processed") < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert dovecot_oauth.count(user, "Processed") == 1
        time.sleep(token_service.lifetime + 1)  # the first token has expired by now
        dovecot_oauth.append(user, referral_email(2))
        deadline = time.monotonic() + 15
        while dovecot_oauth.count(user, "Processed") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert dovecot_oauth.count(user, "Processed") == 2
    finally:
        stop.set()
        thread.join(timeout=30)
    assert token_service.token_requests >= before + 2


def test_check_config_with_oauth(dovecot_oauth: DovecotServer, token_service: TokenService,
                                 tmp_path: Path) -> None:
    user, _ = dovecot_oauth.new_user("cme")
    token_service.username = user
    [good] = check_config(oauth_settings(dovecot_oauth, token_service, tmp_path, user))
    assert good.ok, good.problems
    [bad] = check_config(oauth_settings(dovecot_oauth, token_service, tmp_path, user,
                                        secret="wrong-Secret-88"))
    assert not bad.ok and "invalid_client" in bad.problems[0]
    token_service.username = "someone-else@example.org"  # token valid, but not for this box
    [refused] = check_config(oauth_settings(dovecot_oauth, token_service, tmp_path, user))
    assert not refused.ok and "IMAP.AccessAsApp" in refused.problems[0]
