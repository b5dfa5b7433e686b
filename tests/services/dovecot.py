"""A private Dovecot IMAP server on loopback, for tests against a real IMAP implementation.

Each server lives in its own 0755 temp folder (config, base_dir, state_dir, log, maildirs)
and runs as root with the login/internal users Dovecot insists on (pitfalls §8). Mail users
get dovecot's uid; every test makes its own user with :meth:`DovecotServer.new_user`, so
tests sharing a session server never see each other's mail.

Variants: ``move=False`` advertises no MOVE (tests the COPY fallback), ``uidplus=False``
additionally drops UIDPLUS, and ``oauth_introspection_url`` turns on the oauth2 passdb
(XOAUTH2) against a local token-introspection endpoint.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.services.base import free_port, require, require_binary

_CAPS = "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT NAMESPACE UNSELECT CHILDREN"


@dataclass
class DovecotServer:
    root: Path
    binary: str
    doveadm: str
    port: int
    tls_port: int
    cert_file: Path
    host: str = "127.0.0.1"
    passwords: dict[str, str] = field(default_factory=dict)
    uid: int = 0
    gid: int = 0
    password: str = "pw-Test-7f3a9-secret"
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log(self) -> Path:
        return self.root / "dovecot.log"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        with open(self.root / "stdio.log", "ab") as out:
            subprocess.run([self.binary, "-c", str(self.conf)], stdout=out, stderr=out,
                           stdin=subprocess.DEVNULL, check=True, timeout=30)
        self._wait_listening()

    def stop(self) -> None:
        """Stop the server *and drop every connection*, as a crash or a reboot would.

        SIGTERM to the master alone (what ``doveadm stop`` does) leaves the logged-in
        ``imap`` processes serving their clients, so a client would never see the server
        go; its children are therefore SIGKILLed too."""
        pid_file = self.root / "run" / "master.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        children = _descendants(pid)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
        for child in children:
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in (pid, *children)):
            time.sleep(0.02)
        pid_file.unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _wait_listening(self) -> None:
        import socket

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start; see {self.log}")

    # -- users -------------------------------------------------------------------------------
    def new_user(self, prefix: str = "user") -> tuple[str, str]:
        """A fresh mail user. One static password for all (no passwd-file reloads to race)."""
        user = f"{prefix}{next(self._counter)}@example.org"
        self.passwords[user] = self.password
        return user, self.password

    # -- client helpers ----------------------------------------------------------------------
    def client(self, user: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, self.passwords[user])
        return client

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)

    def append_many(self, user: str, raws: list[bytes], folder: str = "INBOX") -> None:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in raws:
                client.append(folder, raw)

    def folders(self, user: str) -> list[str]:
        with self.client(user) as client:
            return [name for _flags, _delim, name in client.list_folders()]

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """Every message in a folder (empty when the folder does not exist)."""
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            if not uids:
                return []
            data = client.fetch(uids, [b"BODY.PEEK[]"])
            return [data[uid][b"BODY[]"] for uid in sorted(data)]

    def count(self, user: str, folder: str = "INBOX") -> int:
        with self.client(user) as client:
            if not client.folder_exists(folder):
                return 0
            return int(client.folder_status(folder, [b"MESSAGES"])[b"MESSAGES"])

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        with self.client(user) as client:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def set_uidvalidity(self, user: str, folder: str, value: int) -> None:
        subprocess.run([self.doveadm, "-c", str(self.conf), "mailbox", "update", "-u", user,
                        "--uid-validity", str(value), folder], check=True, timeout=30,
                       capture_output=True, stdin=subprocess.DEVNULL)


def _descendants(root: int) -> set[int]:
    """Every process below ``root`` (from /proc: pid -> parent pid)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _write_cert(root: Path) -> Path:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    os.chmod(root / "key.pem", 0o600)
    return root / "cert.pem"


def _config(server: DovecotServer, *, move: bool, uidplus: bool,
            oauth_introspection_url: str | None) -> str:
    root = server.root
    caps = _CAPS + (" UIDPLUS" if uidplus else "") + (" MOVE" if move else "")
    lines = [
        f"base_dir = {root / 'run'}", f"state_dir = {root / 'state'}",
        f"log_path = {server.log}", f"info_log_path = {server.log}",
        "protocols = imap", "listen = 127.0.0.1",
        "default_login_user = dovenull", "default_internal_user = dovecot",
        f"first_valid_uid = {server.uid}", f"first_valid_gid = {server.gid}",
        "mail_location = maildir:~/Maildir", "disable_plaintext_auth = no",
        "ssl = yes", f"ssl_cert = <{server.cert_file}", f"ssl_key = <{root / 'key.pem'}",
        "auth_mechanisms = plain login" + (" xoauth2 oauthbearer" if oauth_introspection_url else ""),
        "service imap-login {",
        f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {server.port}\n  }}",
        f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {server.tls_port}\n"
        "    ssl = yes\n  }",
        "}",
        "service anvil {\n  chroot =\n}", "service imap-login {\n  chroot =\n}",
        "namespace inbox {\n  inbox = yes\n}",
        f"userdb {{\n  driver = static\n  args = uid={server.uid} gid={server.gid} "
        f"home={root / 'home'}/%u allow_all_users=yes\n}}",
    ]
    if not (move and uidplus):
        lines.append(f"protocol imap {{\n  imap_capability = {caps}\n}}")
    if oauth_introspection_url:
        (root / "oauth2.conf").write_text(
            f"introspection_mode = post\nintrospection_url = {oauth_introspection_url}\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
            "force_introspection = yes\n")
        lines.append(f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
                     f"  args = {root / 'oauth2.conf'}\n}}")
    lines.append(f"passdb {{\n  driver = static\n  mechanisms = plain login\n"
                 f"  args = password={server.password}\n}}")
    return "\n".join(lines) + "\n"


def start_dovecot(*, move: bool = True, uidplus: bool = True,
                  oauth_introspection_url: str | None = None) -> DovecotServer:
    """Start a private Dovecot; skip (or fail in CI) when it is not installed."""
    binary = require_binary("dovecot", "dovecot-imapd")
    doveadm = require_binary("doveadm", "dovecot-core")
    require(shutil.which("openssl") is not None, "openssl not found: install Debian package openssl")
    try:
        account = pwd.getpwnam("dovecot")
        pwd.getpwnam("dovenull")
    except KeyError:
        require(False, "system users dovecot/dovenull missing: install Debian dovecot-core")
        raise
    root = Path(tempfile.mkdtemp(prefix="cme-dovecot-"))
    os.chmod(root, 0o755)
    (root / "home").mkdir(mode=0o755)
    os.chown(root / "home", account.pw_uid, account.pw_gid)
    server = DovecotServer(root=root, binary=binary, doveadm=doveadm, port=free_port(),
                           tls_port=free_port(), cert_file=_write_cert(root),
                           uid=account.pw_uid, gid=account.pw_gid)
    server.conf.write_text(_config(server, move=move, uidplus=uidplus,
                                   oauth_introspection_url=oauth_introspection_url))
    server.start()
    return server


def stop_dovecot(server: DovecotServer) -> None:
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    server = start_dovecot()
    yield server
    stop_dovecot(server)


@pytest.fixture(scope="session")
def dovecot_nomove() -> Iterator[DovecotServer]:
    """Advertises UIDPLUS but not MOVE: the COPY + UID EXPUNGE path."""
    server = start_dovecot(move=False)
    yield server
    stop_dovecot(server)


@pytest.fixture(scope="session")
def dovecot_plain() -> Iterator[DovecotServer]:
    """Advertises neither MOVE nor UIDPLUS: COPY and flag \\Deleted, never expunge."""
    server = start_dovecot(move=False, uidplus=False)
    yield server
    stop_dovecot(server)


# -- test referral emails (invented people only) ------------------------------------------------
def referral_docx(surname: str = "Testperson", forenames: str = "Alex",
                  contact_email: str = "office@school.example.org") -> bytes:
    """A small CME referral form: one 2-column table, as schools fill them in Word."""
    rows = [("Part 1", ""), ("School name", "Example Primary School"),
            ("Contact name", "Sam Officer"), ("Contact email", contact_email),
            ("Surname", surname), ("Forename(s)", forenames), ("Date of birth", "03/04/2014"),
            ("Gender", "Female"), ("Current address", "1 Test Street, Exampletown, EX1 1AA"),
            ("Parent/carer name", "Jo Testperson"), ("Date last attended", "02/02/2026"),
            ("Reason for referral", "Left the country"),
            ("Information provided by the family", "The family said they moved abroad."),
            ("Completed by", "Sam Officer"), ("Part 2", ""), ("DSL name", "Pat Lead"),
            ("Date", "05/02/2026")]
    from tests.fixtures.gen_docx import label_tables

    return label_tables([(None, rows)])


def referral_email(n: int, *, to: str = "cme@council.example.org",
                   sender: str = "office@school.example.org", docx: bool = True,
                   in_reply_to: str | None = None, subject: str | None = None,
                   padding: int = 0, docx_bytes: bytes | None = None) -> bytes:
    """An email with a referral form attached (or a plain reply when ``docx`` is False)."""
    from email.message import EmailMessage
    from email.utils import format_datetime

    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject or f"CME referral {n}"
    message["Message-ID"] = f"<referral-{n}-{os.getpid()}-{time.monotonic_ns()}@school.example.org>"
    message["Date"] = format_datetime(__import__("datetime").datetime.now().astimezone())
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content("Please find the referral attached.\n" + "x" * padding)
    if docx:
        content = docx_bytes or referral_docx(surname=f"Testperson{n}")
        message.add_attachment(content, maintype="application",
                               subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                               filename=f"cme-referral-{n}.docx")
    return message.as_bytes()


# -- OAuth2: a local token endpoint + introspection endpoint, and Dovecot's oauth2 passdb -------
class TokenService:
    """A tiny OAuth2 server: client-credentials tokens, RFC 7662 introspection, OIDC discovery.

    ``/<tenant>/v2.0/.well-known/openid-configuration`` lets msal itself be pointed at it
    (``authority = http://127.0.0.1:PORT/<tenant>``); ``/token`` is the plain endpoint.
    Tokens are valid for ``lifetime`` seconds and for ``username`` only.
    """

    def __init__(self, *, client_id: str = "cme-intake-test", secret: str = "s3cret-client-Value",
                 lifetime: float = 3600.0) -> None:
        import http.server
        import threading

        self.client_id, self.secret, self.lifetime = client_id, secret, lifetime
        self.username: str | None = None
        self.issued: dict[str, float] = {}
        self.token_requests = 0
        self.introspections = 0
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path.endswith("/.well-known/openid-configuration"):
                    base = f"https://localhost:{service.tls_port}{self.path.split('/v2.0/')[0]}"
                    self._json(200, {"token_endpoint": f"{base}/oauth2/v2.0/token",
                                     "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                                     "issuer": base})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:  # noqa: N802
                import urllib.parse

                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path.endswith("/introspect"):
                    service.introspections += 1
                    self._json(200, service.introspect(form.get("token", "")))
                elif self.path.endswith("/token"):
                    service.token_requests += 1
                    self._json(*service.issue(form))
                else:
                    self._json(404, {"error": "not_found"})

            def _json(self, status: int, body: dict) -> None:
                import json

                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        # msal insists on https: the same endpoints over TLS, with a self-signed cert.
        self.tls_dir = Path(tempfile.mkdtemp(prefix="cme-oauth-"))
        self.cert_file = _write_cert(self.tls_dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.tls_dir / "key.pem")
        self.tls_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.tls_server.socket = context.wrap_socket(self.tls_server.socket, server_side=True)
        self.tls_port = self.tls_server.server_address[1]
        threading.Thread(target=self.tls_server.serve_forever, daemon=True).start()

    def authority(self, tenant: str = "tenant-1") -> str:
        return f"https://localhost:{self.tls_port}/{tenant}"

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    def issue(self, form: dict[str, str]) -> tuple[int, dict]:
        import secrets

        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.secret:
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: bad secret"}
        token = secrets.token_urlsafe(24)
        self.issued[token] = time.monotonic() + self.lifetime
        return 200, {"access_token": token, "token_type": "Bearer",
                     "expires_in": int(self.lifetime)}

    def introspect(self, token: str) -> dict:
        expiry = self.issued.get(token)
        if expiry is None or time.monotonic() > expiry or self.username is None:
            return {"active": False}
        return {"active": True, "username": self.username}

    def close(self) -> None:
        for server in (self.server, self.tls_server):
            server.shutdown()
            server.server_close()
        shutil.rmtree(self.tls_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def token_service() -> Iterator[TokenService]:
    service = TokenService(lifetime=6.0)
    yield service
    service.close()


@pytest.fixture(scope="session")
def dovecot_oauth(token_service: TokenService) -> Iterator[DovecotServer]:
    """Dovecot whose XOAUTH2 logins are checked against ``token_service`` (introspection)."""
    server = start_dovecot(oauth_introspection_url=token_service.introspection_url)
    yield server
    stop_dovecot(server)
