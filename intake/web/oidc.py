"""Sign-in with an OpenID provider: authorization code flow with PKCE, ID token checked.

Works with Microsoft Entra ID or any standard provider: the endpoints and keys come from
the issuer's discovery document. PKCE and the state/nonce tokens are made by authlib; the
ID token (RS256/ES256 signature against the provider's JWKS, issuer, audience, nonce,
expiry) is checked with joserfc, authlib's JOSE library (``authlib.jose`` is deprecated in
its favour). Only the proof of identity is here: the caller maps the claims to a local
:class:`~models.tables.User` (:func:`role_for`, :func:`sync_user`) and then starts the same
session a password sign-in gets (:meth:`intake.web.auth.WebAuth.begin_session`).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlmodel import Session, select

from intake.config_oidc import OidcSettings
from models.tables import AuditEvent, User
from parsers.errors import IntakeError

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256"]
PENDING_SECONDS = 600  # a sign-in must come back from the provider within ten minutes
MAX_PENDING = 10_000
RANK = {"aio": 1, "manager": 2, "admin": 3}


class OidcError(IntakeError):
    """The provider's answer could not be trusted or used (reason names no person)."""


@dataclass(frozen=True)
class Pending:
    """One sign-in on its way to the provider, bound to the browser's session."""

    binding: str
    nonce: str
    verifier: str
    next: str
    redirect_uri: str
    created: float


def binding_of(csrf: str) -> str:
    """The session binding of a pending sign-in (a hash: the CSRF token is not stored twice)."""
    return hashlib.sha256(csrf.encode()).hexdigest()


def oidc_marker(issuer: str, subject: str) -> str:
    """Stored in place of a password hash: names the provider's subject, matches no password."""
    digest = hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()[:40]
    return f"oidc:{digest}"


def read_secret(settings: OidcSettings, environ: dict[str, str] | None = None) -> str:
    environ = dict(os.environ if environ is None else environ)
    if settings.client_secret_env:
        secret = environ.get(settings.client_secret_env, "")
    else:
        try:
            secret = Path(settings.client_secret_file or "").read_text(encoding="utf-8")
        except OSError as exc:
            raise OidcError(f"web.oidc: cannot read client_secret_file: {exc.strerror}") from exc
    if not secret.strip():
        raise OidcError("web.oidc: the client secret is empty")
    return secret.strip()


class OidcClient:
    """The relying party: discovery, the authorization URL, the code exchange, the ID token."""

    def __init__(self, settings: OidcSettings, secret: str,
                 clock: Any = time.time) -> None:
        self.settings = settings
        self.secret = secret
        self.clock = clock
        self.http = httpx.Client(timeout=15.0, verify=settings.ca_file or True)
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_fetched = 0.0
        self._pending: dict[str, Pending] = {}
        self._lock = threading.Lock()

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document = self._get_json(url)
            if document.get("issuer", "").rstrip("/") != self.settings.issuer.rstrip("/"):
                raise OidcError("the discovery document names another issuer")
            self._metadata = document
        return self._metadata

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self.http.get(url)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"the provider did not answer {url}: {type(exc).__name__}") from exc
        if not isinstance(document, dict):
            raise OidcError(f"the provider's {url} is not a JSON object")
        return document

    def begin(self, *, binding: str, next_path: str, redirect_uri: str) -> str:
        """The provider's authorization URL for a new pending sign-in (state, nonce, PKCE)."""
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        now = self.clock()
        with self._lock:
            for key in [k for k, p in self._pending.items()
                        if now - p.created > PENDING_SECONDS]:
                del self._pending[key]
            while len(self._pending) >= MAX_PENDING:  # a flood of starts cannot grow memory
                del self._pending[next(iter(self._pending))]
            self._pending[state] = Pending(binding, nonce, verifier, next_path, redirect_uri,
                                           now)
        query = {"response_type": "code", "client_id": self.settings.client_id,
                 "redirect_uri": redirect_uri, "scope": " ".join(self.settings.scopes),
                 "state": state, "nonce": nonce, "response_mode": "query",
                 "code_challenge": create_s256_code_challenge(verifier),
                 "code_challenge_method": "S256"}
        return f"{self.metadata()['authorization_endpoint']}?{urlencode(query)}"

    def logout_url(self, post_logout_redirect_uri: str) -> str | None:
        """The provider's RP-initiated sign-out, when its discovery document has one."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except OidcError:
            return None
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            return None
        query = {"client_id": self.settings.client_id,
                 "post_logout_redirect_uri": post_logout_redirect_uri}
        return f"{endpoint}?{urlencode(query)}"

    def take_pending(self, state: str, binding: str) -> Pending:
        """The pending sign-in of ``state`` (once only), if this browser started it."""
        with self._lock:
            pending = self._pending.pop(state, None)
        if pending is None or self.clock() - pending.created > PENDING_SECONDS:
            raise OidcError("unknown or expired sign-in state")
        if pending.binding != binding:
            raise OidcError("the sign-in was started in another browser session")
        return pending

    def finish(self, *, code: str, pending: Pending) -> dict[str, Any]:
        """Exchange the code (with the PKCE verifier) and give the checked ID token's claims."""
        metadata = self.metadata()
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": pending.redirect_uri, "code_verifier": pending.verifier}
        methods = metadata.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        basic = "client_secret_basic" in methods
        if not basic:
            form.update(client_id=self.settings.client_id, client_secret=self.secret)
        try:
            response = self.http.post(
                metadata["token_endpoint"], data=form,
                auth=httpx.BasicAuth(self.settings.client_id, self.secret) if basic
                else httpx.USE_CLIENT_DEFAULT)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"the token endpoint failed: {type(exc).__name__}") from exc
        if response.status_code != 200 or not isinstance(answer, dict):
            error = answer.get("error", "?") if isinstance(answer, dict) else "?"
            raise OidcError(f"the token endpoint refused the code ({response.status_code}, "
                            f"{str(error)[:60]})")
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the token endpoint sent no ID token")
        return self.check_id_token(id_token, nonce=pending.nonce)

    def _key_set(self, refresh: bool = False) -> KeySet:
        """The provider's keys; fetched again for an unknown key at most once a minute."""
        if refresh and self.clock() - self._keys_fetched < 60:
            refresh = False
        if self._keys is None or refresh:
            self._keys_fetched = self.clock()
            try:
                document: Any = self._get_json(self.metadata()["jwks_uri"])
                self._keys = KeySet.import_key_set(document)
            except (JoseError, ValueError, KeyError, TypeError) as exc:
                raise OidcError("the provider's JWKS could not be read") from exc
        return self._keys

    def check_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """Signature, issuer, audience, nonce, expiry: any failure is an OidcError."""
        try:
            try:
                token = jwt.decode(id_token, self._key_set(), algorithms=ALGORITHMS)
            except JoseError:  # the provider may have rolled its keys: fetch them once more
                token = jwt.decode(id_token, self._key_set(refresh=True), algorithms=ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                now=int(self.clock()), leeway=60,
                iss={"essential": True, "value": self.metadata()["issuer"]},
                aud={"essential": True, "value": self.settings.client_id},
                nonce={"essential": True, "value": nonce},
                sub={"essential": True}, exp={"essential": True})
            registry.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise OidcError(f"the ID token was refused: {type(exc).__name__}") from exc
        return dict(token.claims)


def role_for(claims: dict[str, Any], settings: OidcSettings) -> tuple[str, list[str]] | None:
    """The highest role the claimed groups give, with the union of the AIO areas; or None."""
    claimed = claims.get(settings.group_claim) or []
    claimed = {claimed} if isinstance(claimed, str) else {str(g) for g in claimed}
    rows = [row for row in settings.groups if row.group in claimed]
    if not rows:
        return None
    role: str = max((row.role for row in rows), key=RANK.__getitem__)
    if role != "aio":
        return role, []
    areas = [str(area) for row in rows if row.role == "aio" for area in row.areas]
    unique: list[str] = list(dict.fromkeys(areas))
    return (role, unique) if unique else None


def user_name(claims: dict[str, Any], settings: OidcSettings) -> str:
    for claim in (settings.username_claim, "preferred_username", "email", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip()[:120]
    raise OidcError("the ID token names no user")


def sync_user(db: Session, *, claims: dict[str, Any], settings: OidcSettings,
              role: str, areas: list[str]) -> User:
    """Create or update the local "oidc" user of this subject, so allocation and audit work.

    Found by the provider's subject (a renamed account keeps its row and its cases); a local
    password user of the same name is never taken over.
    """
    marker = oidc_marker(str(claims["iss"]), str(claims["sub"]))
    name = user_name(claims, settings)
    user = db.exec(select(User).where(User.password_hash == marker)).first()
    holder = db.exec(select(User).where(User.name == name)).first()
    if holder is not None and (user is None or holder.id != user.id):
        raise OidcError("a local account already has this user name")
    if user is None:
        user = User(name=name, role=role, areas=",".join(areas), password_hash=marker)
        action = "user_added"
    elif (user.name, user.role, user.areas) != (name, role, ",".join(areas)):
        user.name, user.role, user.areas = name, role, ",".join(areas)
        action = "user_updated"
    else:
        return user
    db.add(user)
    db.add(AuditEvent(actor="oidc", action=action,
                      detail={"user": name, "role": role, "areas": areas, "source": "oidc"}))
    db.commit()
    db.refresh(user)
    return user
