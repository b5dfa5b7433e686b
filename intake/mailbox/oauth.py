"""OAuth2 access tokens for IMAP XOAUTH2 (Microsoft 365 app-only, client credentials).

Production uses msal's ``ConfidentialClientApplication.acquire_token_for_client``: msal
keeps its own token cache, so asking again returns the cached token until it nears expiry.
``token_endpoint`` (for tests and for non-Microsoft providers) replaces msal with one plain
RFC 6749 client-credentials POST. Either way the provider remembers when the token
expires, so the IMAP source can reconnect *before* Exchange ends the session with
``AccessTokenExpired``.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from intake.config import OAuth2Settings
from intake.mailbox.credentials import read_secret
from intake.mailbox.faults import LoginFailed, SourceUnavailable
from intake.mailbox.redact import register_secret

logger = logging.getLogger(__name__)


def pinned_session(ca_file: str) -> Any:
    """A requests session that trusts ``ca_file`` whatever the environment says.

    requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` replace a session's ``verify``
    (set on many servers for the system bundle), which would silently drop a configured
    ``ca_file``; msal calls its session without ``verify``, so the pin is made here.
    """
    import requests

    class PinnedSession(requests.Session):
        def merge_environment_settings(self, url: Any, proxies: Any, stream: Any,
                                       verify: Any, cert: Any) -> dict[str, Any]:
            merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
            merged["verify"] = ca_file
            return dict(merged)

    session = PinnedSession()
    session.verify = ca_file
    return session


class TokenProvider:
    """Hands out a valid access token; thread-safe; one per mailbox."""

    def __init__(self, settings: OAuth2Settings, *, timeout: float = 30.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self.expires_at: float | None = None  # time.monotonic() when the token expires
        self.lifetime = 3600.0  # seconds the current token was issued for
        self._token: str | None = None
        self._app: Any = None
        self._lock = threading.Lock()

    @property
    def authority(self) -> str:
        return self.settings.authority or f"https://login.microsoftonline.com/{self.settings.tenant}"

    def expiring(self) -> bool:
        """True within the renewal margin (5 min, or a quarter of a short token's life)."""
        if self.expires_at is None:
            return True
        return time.monotonic() > self.expires_at - min(300.0, self.lifetime / 4)

    def token(self) -> str:
        with self._lock:
            if self._token and not self.expiring():
                return self._token
            result = self._acquire()
            if (result.get("token_source") == "cache"
                    and float(result.get("expires_in", 3600)) <= 300):
                self._drop_msal_cache()  # msal's cached token is about to expire: get a new one
                result = self._acquire()
            if "access_token" not in result:
                raise LoginFailed(self._refusal(result))
            self._token = str(result["access_token"])
            register_secret(self._token)
            self.lifetime = float(result.get("expires_in", 3600))
            self.expires_at = time.monotonic() + self.lifetime
            logger.info("oauth token acquired for client %s, valid %ss",
                        self.settings.client_id, int(self.lifetime))
            return self._token

    def invalidate(self) -> None:
        """Forget the token (after a refusal or AccessTokenExpired) so the next call renews."""
        with self._lock:
            self._token, self.expires_at = None, None
            if self._app is not None:
                self._drop_msal_cache()

    def _acquire(self) -> dict[str, Any]:
        return self._from_endpoint() if self.settings.token_endpoint else self._from_msal()

    # -- msal --------------------------------------------------------------------------------
    def client_credential(self) -> str | dict[str, str]:
        """A secret (env or file), or a certificate: PEM private key + SHA-1 thumbprint."""
        s = self.settings
        if s.certificate_file:
            try:
                pem = Path(s.certificate_file).read_text(encoding="utf-8")
            except OSError as exc:
                raise SourceUnavailable(f"cannot read certificate_file {s.certificate_file}") from exc
            register_secret(pem)
            return {"private_key": pem, "thumbprint": s.certificate_thumbprint or ""}
        return read_secret(env=s.client_secret_env, file=s.client_secret_file,
                           what=f"oauth2 client {s.client_id}")

    def build_app(self) -> Any:
        import msal

        ca_file = self.settings.ca_file
        return msal.ConfidentialClientApplication(
            self.settings.client_id, authority=self.authority,
            client_credential=self.client_credential(), timeout=self.timeout,
            verify=ca_file or True, http_client=pinned_session(ca_file) if ca_file else None,
            instance_discovery=self.settings.authority is None)

    def _from_msal(self) -> dict[str, Any]:
        try:
            if self._app is None:
                self._app = self.build_app()
            return dict(self._app.acquire_token_for_client(scopes=[self.settings.scope]) or {})
        except (OSError, ValueError) as exc:
            raise SourceUnavailable(f"oauth2: cannot reach the token service at {self.authority} "
                                    f"({type(exc).__name__})") from exc

    def _drop_msal_cache(self) -> None:
        try:
            cache = self._app.token_cache
            for token in list(cache.search(cache.CredentialType.ACCESS_TOKEN)):
                cache.remove_at(token)
        except Exception:  # noqa: BLE001 - best effort; msal re-validates expiry itself
            self._app = None

    # -- plain endpoint ----------------------------------------------------------------------
    def _from_endpoint(self) -> dict[str, Any]:
        s = self.settings
        credential = self.client_credential()
        if not isinstance(credential, str):
            raise SourceUnavailable("oauth2: token_endpoint needs a client secret, not a certificate")
        body = urllib.parse.urlencode({
            "grant_type": "client_credentials", "client_id": s.client_id,
            "client_secret": credential, "scope": s.scope}).encode()
        request = urllib.request.Request(str(s.token_endpoint), data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
        context = ssl.create_default_context(cafile=s.ca_file) if s.ca_file else None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout,  # noqa: S310
                                        context=context) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            try:
                return dict(json.loads(exc.read()))
            except ValueError:
                return {"error": f"http_{exc.code}"}
        except (OSError, ValueError) as exc:
            raise SourceUnavailable(f"oauth2: cannot reach the token endpoint "
                                    f"({type(exc).__name__})") from exc

    def _refusal(self, result: dict[str, Any]) -> str:
        error = str(result.get("error") or "no access_token in the reply")
        detail = str(result.get("error_description") or "").strip().splitlines()
        hint = {
            "invalid_client": "the client secret or certificate is wrong or expired",
            "unauthorized_client": "the app is not enabled for this tenant",
            "invalid_scope": "the scope should be https://outlook.office365.com/.default",
        }.get(error, "see docs/microsoft-365.md")
        first = f" ({detail[0][:160]})" if detail else ""
        return f"oauth2 token request for client {self.settings.client_id} refused: {error}{first}: {hint}"
