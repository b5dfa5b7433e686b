"""A loopback Microsoft Graph (mail) and Entra ID token service, for the Graph mail source.

Written from Microsoft's references (learn.microsoft.com/graph, .../entra/identity-platform)
and implementing exactly what ``intake.mailbox.graph`` uses, with the documented shapes:

Token service (client credentials, v2.0):
- ``GET /{tenant}/v2.0/.well-known/openid-configuration``: msal's authority discovery.
- ``POST /{tenant}/oauth2/v2.0/token``: ``grant_type=client_credentials``, ``scope`` must be
  ``https://graph.microsoft.com/.default``; the client proves itself with ``client_secret`` or
  a ``client_assertion`` (an RS256/PS256 JWT signed by the registered certificate, ``x5t``
  or ``x5t#S256`` naming it). Success: ``{"token_type": "Bearer", "expires_in", "access_token"}``.
  Errors: HTTP 400/401 ``{"error": "invalid_client" | "invalid_scope" |
  "unauthorized_client" | "unsupported_grant_type", "error_description": "AADSTS…: …",
  "error_codes": [...], "timestamp", "trace_id", "correlation_id"}``.

Graph v1.0 (all under ``/v1.0/users/{upn}``; ids case-sensitive; ``mailFolders('{id}')``
accepted as in Graph's own links):
- ``GET mailFolders[?$top,$skip]`` (user-list-mailfolders, paged by ``@odata.nextLink``),
  ``GET mailFolders/{id | well-known name}``, ``GET mailFolders/{id}/childFolders``.
- ``POST mailFolders`` and ``POST mailFolders/{id}/childFolders`` ``{"displayName"}``: 201;
  409 ``ErrorFolderExists`` when a sibling has that name.
- ``GET mailFolders/{id}/messages/delta`` (message-delta): ``$select``, ``$expand`` of the
  ``Integer 0x0E08`` (PR_MESSAGE_SIZE) singleValueExtendedProperty, ``Prefer:
  odata.maxpagesize``, ``@odata.nextLink`` ($skiptoken) then ``@odata.deltaLink``
  ($deltatoken), ``"@removed": {"reason": "deleted"}`` for messages that left the folder;
  410 ``SyncStateNotFound`` for a token the server no longer knows.
- ``GET mailFolders/{id}/messages?$filter=internetMessageId eq '…'``.
- ``GET messages/{id}[?$select]`` (``internetMessageHeaders`` only when selected),
  ``GET messages/{id}/$value`` (the MIME), ``POST messages/{id}/move`` ``{"destinationId"}``:
  201 with the moved message, whose REST id is new unless ``Prefer: IdType="ImmutableId"``.
- Errors ``{"error": {"code", "message", "innerError": {"date", "request-id",
  "client-request-id"}}}``: 401 ``InvalidAuthenticationToken``, 403 ``ErrorAccessDenied``
  (an application access policy that leaves the mailbox out), 404 ``ErrorInvalidUser`` /
  ``ErrorItemNotFound``, 400 ``ErrorInvalidIdMalformed``, 429 ``ApplicationThrottled`` with
  ``Retry-After`` (seconds), injected with :meth:`GraphServer.throttle`.
Not implemented (not used): change notifications, $batch, attachments, any write but move.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import re
import secrets
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.services.graph_routes import GraphRoutes
from tests.services.graph_state import GraphStore

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def self_signed(common_name: str = "localhost") -> tuple[bytes, bytes]:
    """A private key and a self-signed certificate (PEM) valid for localhost and 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def thumbprint(cert_pem: bytes) -> str:
    """The SHA-1 thumbprint Entra shows for an uploaded certificate (hex, no colons)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    return x509.load_pem_x509_certificate(cert_pem).fingerprint(hashes.SHA1()).hex().upper()


@dataclass
class App:
    """An app registration: its credential and the mailboxes its access policy allows."""

    client_id: str
    secret: str | None = None
    certificate: bytes | None = None
    mailboxes: set[str] | None = None  # None: no application access policy


@dataclass
class GraphServer:
    store: GraphStore = field(default_factory=GraphStore)
    apps: dict[str, App] = field(default_factory=dict)
    token_lifetime: float = 3600.0
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (app, expiry)
    requests: list[tuple[float, str, str, str]] = field(default_factory=list)
    token_requests: int = 0
    throttled: int = 0
    throttles: list[float] = field(default_factory=list)
    port: int = 0
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cme-graph-")))
    _server: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> GraphServer:
        key_pem, cert_pem = self_signed()
        (self.folder / "key.pem").write_bytes(key_pem)
        self.cert_file.write_bytes(cert_pem)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.folder / "key.pem")
        server = _Server(("127.0.0.1", 0), _handler(self))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server, self.port = server, server.server_address[1]
        threading.Thread(target=server.serve_forever, name="fake-graph", daemon=True).start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def cert_file(self) -> Path:
        return self.folder / "cert.pem"

    @property
    def base(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def graph_url(self) -> str:
        return f"{self.base}/v1.0"

    def authority(self, tenant: str = "tenant-1") -> str:
        return f"{self.base}/{tenant}"

    # -- tenant setup ------------------------------------------------------------------------
    def register_app(self, *, secret: str | None = None, certificate: bytes | None = None,
                     mailboxes: set[str] | None = None) -> App:
        app = App(f"app-{uuid.uuid4()}", secret, certificate,
                  {m.lower() for m in mailboxes} if mailboxes is not None else None)
        self.apps[app.client_id] = app
        return app

    def new_mailbox(self, prefix: str = "cme") -> str:
        upn = f"{prefix}-{secrets.token_hex(4)}@council.example.org"
        self.store.mailbox(upn, create=True)
        return upn

    def deliver(self, upn: str, raw: bytes, *, folder: str = "inbox",
                received: dt.datetime | None = None) -> str:
        return self.store.deliver(upn, raw, folder=folder, received=received)

    def throttle(self, requests: int, retry_after: float = 1.0) -> None:
        """Answer the next ``requests`` Graph calls with 429 and this Retry-After."""
        with self._lock:
            self.throttles += [retry_after] * requests

    def next_throttle(self) -> float | None:
        with self._lock:
            if not self.throttles:
                return None
            self.throttled += 1
            return self.throttles.pop(0)

    def log_request(self, method: str, path: str, prefer: str) -> None:
        with self._lock:
            self.requests.append((time.monotonic(), method, path, prefer))

    # -- tokens ------------------------------------------------------------------------------
    def issue(self, form: dict[str, str], token_url: str) -> tuple[int, dict]:
        """The v2.0 token endpoint's answer to a client-credentials request."""
        self.token_requests += 1
        if form.get("grant_type") != "client_credentials":
            return _aad(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        app = self.apps.get(form.get("client_id", ""))
        if app is None:
            return _aad(400, "unauthorized_client", 700016,
                        "Application with identifier was not found in the directory.")
        if not self._proves(app, form, token_url):
            return _aad(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") != GRAPH_SCOPE:
            return _aad(400, "invalid_scope", 70011, "The provided value for the input "
                        "parameter 'scope' is not valid.")
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (app.client_id, time.monotonic() + self.token_lifetime)
        return 200, {"token_type": "Bearer", "expires_in": int(self.token_lifetime),
                     "ext_expires_in": int(self.token_lifetime), "access_token": token}

    def _proves(self, app: App, form: dict[str, str], token_url: str) -> bool:
        if "client_secret" in form:
            return app.secret is not None and secrets.compare_digest(form["client_secret"],
                                                                     app.secret)
        if form.get("client_assertion_type") != ASSERTION_TYPE or app.certificate is None:
            return False
        import jwt
        from cryptography import x509

        public = x509.load_pem_x509_certificate(app.certificate).public_key()
        try:
            claims = jwt.decode(form.get("client_assertion", ""), public,
                                algorithms=["RS256", "PS256"], audience=token_url)
        except jwt.PyJWTError:
            return False
        return claims.get("iss") == claims.get("sub") == app.client_id

    def app_for(self, authorization: str | None) -> App | None:
        """The app a bearer token was issued to, if the token is valid now."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        issued = self.tokens.get(token)
        if issued is None or time.monotonic() > issued[1]:
            return None
        return self.apps.get(issued[0])


def _aad(status: int, error: str, code: int, text: str) -> tuple[int, dict]:
    trace = str(uuid.uuid4())
    return status, {"error": error, "error_description": f"AADSTS{code}: {text}\r\nTrace ID: "
                    f"{trace}\r\nCorrelation ID: {trace}\r\nTimestamp: {_now()}",
                    "error_codes": [code], "timestamp": _now(), "trace_id": trace,
                    "correlation_id": trace}


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients killed mid-request (the crash tests) are not errors of the server."""


def _handler(graph: GraphServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self._dispatch("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._dispatch("POST")

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if path.startswith("/v1.0/"):
                status, payload, headers = GraphRoutes(graph, self.headers).handle(
                    method, path[len("/v1.0/"):], query, body)
            else:
                status, payload, headers = self._identity(method, path, body)
            self._send(status, payload, headers)

        def _identity(self, method: str, path: str, body: bytes) -> tuple[int, Any, dict]:
            tenant = path.strip("/").split("/")[0]
            if method == "GET" and path.endswith("/v2.0/.well-known/openid-configuration"):
                base = f"{graph.base}/{tenant}"
                return 200, {"token_endpoint": f"{base}/oauth2/v2.0/token",
                             "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                             "issuer": f"{base}/v2.0"}, {}
            if method == "POST" and re.fullmatch(r"/[^/]+/oauth2/v2\.0/token", path):
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                return (*graph.issue(form, f"{graph.base}{path}"), {})
            return 404, {"error": "not_found"}, {}

        def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            kind = "text/plain" if isinstance(payload, bytes) else "application/json"
            self.send_header("Content-Type", headers.pop("Content-Type", kind))
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture(scope="session")
def graph_server() -> Iterator[GraphServer]:
    server = GraphServer().start()
    yield server
    server.close()


def mailbox_settings(graph: GraphServer, upn: str, app: App, secrets_dir: Path, *,
                     key: str = "cme", **extra: Any) -> Any:
    """A ``source = "graph"`` mailbox reading ``upn`` through ``graph`` as ``app``."""
    from intake.config import MailboxSettings, OAuth2Settings

    credential: dict[str, Any]
    if app.secret is not None:
        secret = secrets_dir / f"graph-secret-{key}"
        secret.write_text(app.secret)
        credential = {"client_secret_file": str(secret)}
    else:
        credential = {"certificate_file": str(secrets_dir / f"graph-app-{key}.pem"),
                      "certificate_thumbprint": thumbprint(app.certificate or b"")}
    oauth2 = OAuth2Settings(tenant="tenant-1", client_id=app.client_id,
                            authority=graph.authority(), ca_file=str(graph.cert_file),
                            **credential)
    return MailboxSettings(key=key, source="graph", username=upn, graph_url=graph.graph_url,
                           tls_ca_file=str(graph.cert_file), oauth2=oauth2, **extra)
