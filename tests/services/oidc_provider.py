"""A tiny OpenID provider on loopback, for the sign-in tests (test infrastructure only).

Standard shape: a discovery document, ``/authorize`` (which at once redirects back with a
code for the preset identity, as a provider does for a signed-in person), ``/token``
(checks the client secret, the code, the redirect URI and the PKCE verifier, and returns
an RS256 ID token signed with joserfc) and ``/jwks``. ``faults`` makes the next ID tokens
wrong in one way (``bad_signature``, ``wrong_nonce``, ``wrong_audience``, ``expired``),
so the tests can see each one refused. Only invented people.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "cme-intake-test"
CLIENT_SECRET = "test-client-secret-not-real"
IDENTITY = {"sub": "00000000-test-0000-aio1", "preferred_username": "ada.lovelace@council.test",
            "name": "Ada Lovelace", "groups": ["grp-aio-ene"]}


@dataclass
class ProviderState:
    identity: dict[str, Any] = field(default_factory=lambda: dict(IDENTITY))
    faults: set[str] = field(default_factory=set)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    signed_out: bool = False
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(
        2048, parameters={"kid": "test-key-1", "use": "sig"}))
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(
        2048, parameters={"kid": "test-key-1", "use": "sig"}))


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _json(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        state = self.server.state
        state.requests.append(url.path)
        if url.path == "/.well-known/openid-configuration":
            self._json(self.server.discovery())
        elif url.path == "/jwks":
            self._json(KeySet([state.key]).as_dict(private=False))
        elif url.path == "/logout":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            state.signed_out = query.get("client_id") == CLIENT_ID
            self.send_response(302)
            self.send_header("location", query.get("post_logout_redirect_uri", "/"))
            self.send_header("content-length", "0")
            self.end_headers()
        elif url.path == "/authorize":
            self._authorize({k: v[0] for k, v in parse_qs(url.query).items()})
        else:
            self._json({"error": "not_found"}, 404)

    def _authorize(self, query: dict[str, str]) -> None:
        state = self.server.state
        if (query.get("client_id") != CLIENT_ID or query.get("response_type") != "code"
                or query.get("code_challenge_method") != "S256"
                or "openid" not in query.get("scope", "").split()):
            self._json({"error": "invalid_request"}, 400)
            return
        code = secrets.token_urlsafe(16)
        state.codes[code] = {"nonce": query.get("nonce"), "redirect_uri": query["redirect_uri"],
                             "challenge": query.get("code_challenge")}
        back = {"code": code, "state": query.get("state", "")}
        self.send_response(302)
        self.send_header("location", f"{query['redirect_uri']}?{urlencode(back)}")
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802
        state = self.server.state
        state.requests.append(urlparse(self.path).path)
        length = int(self.headers.get("content-length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.headers.get("authorization") != f"Basic {expected}":
            self._json({"error": "invalid_client"}, 401)
            return
        grant = state.codes.pop(form.get("code", ""), None)
        if (grant is None or grant["redirect_uri"] != form.get("redirect_uri")
                or _challenge(form.get("code_verifier", "")) != grant["challenge"]):
            self._json({"error": "invalid_grant"}, 400)
            return
        self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                    "expires_in": 3600, "id_token": self.server.id_token(grant["nonce"])})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = ProviderState()
        self.issuer = f"http://127.0.0.1:{self.server_address[1]}"

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "end_session_endpoint": f"{self.issuer}/logout",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"]}

    def id_token(self, nonce: str | None) -> str:
        faults, now = self.state.faults, int(time.time())
        claims = {**self.state.identity, "iss": self.issuer, "aud": CLIENT_ID,
                  "iat": now, "exp": now + 600, "nonce": nonce}
        if "wrong_nonce" in faults:
            claims["nonce"] = "not-the-nonce"
        if "wrong_audience" in faults:
            claims["aud"] = "another-app"
        if "expired" in faults:
            claims.update(iat=now - 7200, exp=now - 3600)
        key = self.state.other_key if "bad_signature" in faults else self.state.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def roll_key(self, kid: str) -> None:
        """A new signing key (what a provider's key rollover looks like to a client)."""
        self.state.key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"})


class OidcProvider:
    """The provider in a background thread: ``with OidcProvider() as op: op.issuer``."""

    def __init__(self) -> None:
        self.server = _Server()
        self.issuer = self.server.issuer
        self.state = self.server.state
        self.roll_key = self.server.roll_key
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OidcProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
