"""Microsoft Graph over HTTPS for one mailbox: bearer token, Prefer header, faults in words.

Every request carries ``Prefer: IdType="ImmutableId"`` (ids that survive a move, so the
ledger can key on them) and an app-only token from :class:`~intake.mailbox.oauth.TokenProvider`.
What Graph answers becomes, at most, one of the daemon's faults:

- 401 ``InvalidAuthenticationToken``: the token is renewed and the request sent once more;
  a second 401 is a :class:`LoginFailed` with the permission advice.
- 403 ``ErrorAccessDenied``: the app may not read this mailbox (admin consent for
  ``Mail.ReadWrite``, or the application access policy leaves the mailbox out).
- 429 and 503 are throttling: the request waits ``Retry-After`` (interruptibly) and is
  tried again, a few times; a hint longer than ``max_throttle_wait`` (or one throttling
  too many) becomes :class:`Throttled`, which the worker obeys as its backoff.
- 404/409/410 and the rest are :class:`GraphRefusal` with ``status`` and ``code``, for the
  source to decide (a message gone, a folder another daemon just created, a delta token
  the server forgot).

Links Graph hands back (``@odata.nextLink``/``deltaLink``) are followed verbatim, but only on
the configured Graph host: the token is never sent anywhere else.
"""

from __future__ import annotations

import logging
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from intake.mailbox.faults import LoginFailed, SourceUnavailable, Throttled
from intake.mailbox.oauth import TokenProvider

logger = logging.getLogger(__name__)
PREFER_IMMUTABLE = 'IdType="ImmutableId"'
_THROTTLE_TRIES = 4
_PERMISSION_ADVICE = ("check that the app has the Microsoft Graph application permission "
                      "Mail.ReadWrite with admin consent and that the Exchange application "
                      "access policy includes this mailbox (docs/microsoft-365.md)")


class GraphRefusal(SourceUnavailable):
    """Graph answered a request with an error; ``status`` and ``code`` say which."""

    def __init__(self, reason: str, *, status: int, code: str) -> None:
        super().__init__(reason)
        self.status, self.code = status, code


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def error_of(response: requests.Response) -> tuple[str, str]:
    """Graph's ``{"error": {"code", "message"}}``, tolerant of other bodies."""
    try:
        body = response.json()
    except ValueError:
        return f"http_{response.status_code}", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"http_{response.status_code}", ""
    lines = str(error.get("message") or "").strip().splitlines()
    return str(error.get("code") or f"http_{response.status_code}"), (lines[0][:160] if lines else "")


def refusal(status: int, code: str, message: str, *, where: str) -> SourceUnavailable:
    """The fault for a Graph error answer, its reason plain advice without any id."""
    said = f"{code}{': ' + message if message else ''}"
    if status == 401:
        return LoginFailed(f"{where}: Graph refused the access token ({said}): {_PERMISSION_ADVICE}")
    if status == 403:
        return LoginFailed(f"{where}: Graph denied access to the mailbox ({said}): "
                           f"{_PERMISSION_ADVICE}")
    if status == 404 and code == "ErrorInvalidUser":
        return GraphRefusal(f"{where}: there is no such mailbox: check 'username' (the "
                            "mailbox's address)", status=status, code=code)
    if status >= 500:
        return GraphRefusal(f"{where}: Graph is unavailable ({status} {said})",
                            status=status, code=code)
    return GraphRefusal(f"{where}: Graph refused the request ({status} {said})",
                        status=status, code=code)


class GraphApi:
    """Requests to one mailbox's part of Graph (``/users/{upn}/…``); thread-compatible."""

    def __init__(self, *, base_url: str, upn: str, tokens: TokenProvider, where: str,
                 ca_file: str | None = None, timeout: float = 30.0,
                 stop: threading.Event | None = None, max_throttle_wait: float = 120.0) -> None:
        self.base = base_url.rstrip("/")
        self.user = f"{self.base}/users/{quote(upn, safe='@')}"
        self.tokens, self.where, self.timeout = tokens, where, timeout
        self.verify: str | bool = ca_file or True
        self.stop = stop or threading.Event()
        self.max_throttle_wait = max_throttle_wait
        self.throttled = 0  # throttling answers met (for tests and the log)
        self._session = requests.Session()
        self._host = urlsplit(self.base).netloc.lower()

    def close(self) -> None:
        self._session.close()

    def url(self, path: str) -> str:
        """A path under the mailbox (``/mailFolders``), or a link Graph gave, checked."""
        if path.startswith(("https://", "http://")):
            if urlsplit(path).netloc.lower() != self._host:
                raise SourceUnavailable(f"{self.where}: Graph returned a link to another host")
            return path
        return f"{self.user}{path}"

    def get(self, path: str, *, params: dict[str, str] | None = None,
            prefer: str | None = None) -> dict[str, Any]:
        return dict(self.send("GET", path, params=params, prefer=prefer).json())

    def get_bytes(self, path: str) -> bytes:
        return bytes(self.send("GET", path).content)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.send("POST", path, json=body).json())

    def send(self, method: str, path: str, *, params: dict[str, str] | None = None,
             json: dict[str, Any] | None = None, prefer: str | None = None) -> requests.Response:
        """One request: renewed once on 401, waited out on throttling, else a fault."""
        url, renewed, throttles = self.url(path), False, 0
        while True:
            response = self._once(method, url, params=params, json=json, prefer=prefer)
            status = response.status_code
            if status < 400:
                return response
            code, message = error_of(response)
            if status == 401 and not renewed:
                self.tokens.invalidate()
                renewed = True
                continue
            if status in (429, 503):
                throttles += 1
                self._wait_throttled(response, throttles)
                continue
            raise refusal(status, code, message, where=self.where)

    def _once(self, method: str, url: str, **options: Any) -> requests.Response:
        prefer = options.pop("prefer")
        headers = {"Authorization": f"Bearer {self.tokens.token()}", "Accept": "application/json",
                   "Prefer": PREFER_IMMUTABLE + (f", {prefer}" if prefer else "")}
        try:
            return self._session.request(method, url, headers=headers, timeout=self.timeout,
                                         verify=self.verify, **options)
        except requests.exceptions.SSLError as exc:
            raise SourceUnavailable(f"{self.where}: the Graph server's TLS certificate cannot be "
                                    "verified: fix the certificate or set tls_ca_file") from exc
        except requests.exceptions.Timeout as exc:
            raise SourceUnavailable(f"{self.where}: no answer from Graph in time") from exc
        except requests.exceptions.RequestException as exc:
            raise SourceUnavailable(f"{self.where}: cannot reach Graph "
                                    f"({type(exc).__name__}): check graph_url and the proxy") from exc

    def _wait_throttled(self, response: requests.Response, attempt: int) -> None:
        """Sleep the server's hint (or 2, 4, 8 s without one), unless it is too long."""
        self.throttled += 1
        hint = retry_after_seconds(response.headers.get("Retry-After"))
        delay = hint if hint is not None else float(2 ** attempt)
        if attempt >= _THROTTLE_TRIES or delay > self.max_throttle_wait:
            raise Throttled(f"{self.where}: Graph is throttling this app "
                            f"({response.status_code})", retry_after=delay)
        logger.info("%s: Graph throttled the request (%s); waiting %.1fs as asked",
                    self.where, response.status_code, delay)
        if self.stop.wait(delay):
            raise SourceUnavailable(f"{self.where}: stopping")
