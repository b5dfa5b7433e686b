"""The Graph v1.0 mail routes of the loopback server (see ``tests.services.graph`` for the list).

One :class:`GraphRoutes` per request: authorise (401), throttle (429), find the mailbox
(404 / 403 by the application access policy), then route. Answers are ``(status, body,
headers)``; a ``bytes`` body is sent as is (the MIME of ``$value``).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.services.graph_state import (
    ROOT,
    SIZE_PROPERTY,
    Folder,
    Mailbox,
    Message,
    Round,
)

Answer = tuple[int, Any, dict[str, str]]
MESSAGE_FIELDS = ("internetMessageId", "receivedDateTime", "parentFolderId", "subject")


def graph_error(status: int, code: str, message: str, **headers: str) -> Answer:
    request_id = str(uuid.uuid4())
    return status, {"error": {"code": code, "message": message, "innerError": {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": request_id,
        "client-request-id": request_id}}}, dict(headers)


def _token(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _untoken(text: str) -> dict | None:
    try:
        return dict(json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))))
    except ValueError:
        return None


class GraphRoutes:
    def __init__(self, graph: Any, headers: Any) -> None:
        self.graph, self.store = graph, graph.store
        self.prefer = ", ".join(headers.get_all("Prefer") or [])
        self.authorization = headers.get("Authorization")
        self.immutable = 'idtype="immutableid"' in self.prefer.lower().replace(" ", "")

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Answer:
        self.graph.log_request(method, path, self.prefer)
        app = self.graph.app_for(self.authorization)
        if app is None:
            return graph_error(401, "InvalidAuthenticationToken",
                               "Access token has expired or is not yet valid.",
                               **{"WWW-Authenticate": 'Bearer realm=""'})
        wait = self.graph.next_throttle()
        if wait is not None:
            return graph_error(429, "ApplicationThrottled",
                               "Application is over its MailboxConcurrency limit.",
                               **{"Retry-After": str(int(wait) if wait == int(wait) else wait)})
        parts = re.sub(r"\('([^']*)'\)", r"/\1", path).strip("/").split("/")
        if len(parts) < 3 or parts[0].lower() != "users":
            return graph_error(400, "BadRequest", "Resource not found for the segment.")
        box = self.store.mailbox(parts[1])
        if box is None:
            return graph_error(404, "ErrorInvalidUser", f"The requested user '{parts[1]}' is invalid.")
        if app.mailboxes is not None and box.upn not in app.mailboxes:
            return graph_error(403, "ErrorAccessDenied", "Access to OData is disabled: [RAOP] : "
                               "Blocked by tenant configured AppOnly AccessPolicy settings.")
        with self.store.lock:
            return self._route(box, method, parts[2:], query, body)

    def _route(self, box: Mailbox, method: str, parts: list[str], query: dict[str, str],
               body: bytes) -> Answer:
        head = [p.lower() for p in parts]
        if head[0] == "mailfolders":
            if len(parts) == 1:
                return self._folders(box, box.folders[ROOT], method, query, body)
            folder = box.folder(parts[1])
            if folder is None:
                return graph_error(404, "ErrorItemNotFound", "The specified object was not "
                                   "found in the store.")
            rest = head[2:]
            if not rest and method == "GET":
                return 200, self._folder_json(box, folder), {}
            if rest == ["childfolders"]:
                return self._folders(box, folder, method, query, body)
            if rest == ["messages", "delta"] and method == "GET":
                return self._delta(box, folder, query)
            if rest == ["messages"] and method == "GET":
                return self._find(box, folder, query)
        elif head[0] == "messages" and len(parts) >= 2:
            message = box.message(parts[1])
            if message is None:
                return graph_error(404, "ErrorItemNotFound", "The specified object was not "
                                   "found in the store.")
            if len(parts) == 2 and method == "GET":
                return 200, self._message_json(message, query.get("$select", ""), ""), {}
            if head[2:] == ["$value"] and method == "GET":
                return 200, message.raw, {"Content-Type": "text/plain"}
            if head[2:] == ["move"] and method == "POST":
                return self._move(box, message, body)
        return graph_error(400, "BadRequest", "Unsupported segment or method.")

    # -- folders -----------------------------------------------------------------------------
    def _folder_json(self, box: Mailbox, folder: Folder) -> dict:
        return {"id": folder.id, "displayName": folder.display_name,
                "parentFolderId": folder.parent_id, "childFolderCount": len(box.children(folder.id)),
                "unreadItemCount": 0, "totalItemCount": len(box.in_folder(folder.id)),
                "isHidden": False}

    def _folders(self, box: Mailbox, parent: Folder, method: str, query: dict[str, str],
                 body: bytes) -> Answer:
        children = box.children(parent.id)
        if method == "POST":
            name = str(json.loads(body or b"{}").get("displayName") or "").strip()
            if not name:
                return graph_error(400, "ErrorInvalidRequest", "displayName is required.")
            if any(c.display_name.lower() == name.lower() for c in children):
                return graph_error(409, "ErrorFolderExists",
                                   "A folder with the specified name already exists.")
            return 201, self._folder_json(box, self.store.make_folder(box, name, parent.id)), {}
        top, skip = int(query.get("$top", 10)), int(query.get("$skip", 0))
        page: dict[str, Any] = {"value": [self._folder_json(box, f)
                                          for f in children[skip:skip + top]]}
        if skip + top < len(children):
            where = "mailFolders" if parent.well_known == ROOT else \
                f"mailFolders('{parent.id}')/childFolders"
            page["@odata.nextLink"] = (f"{self.graph.graph_url}/users('{box.upn}')/{where}"
                                       f"?%24top={top}&%24skip={skip + top}")
        return 200, page, {}

    # -- messages ----------------------------------------------------------------------------
    def _id(self, message: Message) -> str:
        return message.immutable_id if self.immutable else message.rest_id

    def _message_json(self, message: Message, select: str, expand: str) -> dict:
        wanted = [s.strip() for s in select.split(",") if s.strip()] or list(MESSAGE_FIELDS)
        values = {"internetMessageId": message.internet_message_id,
                  "receivedDateTime": message.received.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "parentFolderId": message.folder_id, "subject": "(subject)",
                  "internetMessageHeaders": message.headers()}
        out: dict[str, Any] = {"@odata.type": "#microsoft.graph.message",
                               "@odata.etag": f'W/"{uuid.uuid4().hex}"', "id": self._id(message)}
        out.update({k: values[k] for k in wanted if k in values})
        if SIZE_PROPERTY.lower() in expand.lower():
            out["singleValueExtendedProperties"] = [{"id": "Integer 0xe08",
                                                     "value": str(len(message.raw))}]
        return out

    def _find(self, box: Mailbox, folder: Folder, query: dict[str, str]) -> Answer:
        match = re.fullmatch(r"\s*internetMessageId\s+eq\s+'((?:[^']|'')*)'\s*",
                             query.get("$filter", ""))
        if match is None:
            return graph_error(400, "ErrorInvalidUrlQueryFilter", "The filter is not supported.")
        wanted = match.group(1).replace("''", "'")
        found = [m for m in box.in_folder(folder.id) if m.internet_message_id == wanted]
        return 200, {"value": [self._message_json(m, query.get("$select", "id"), "")
                               for m in found]}, {}

    def _move(self, box: Mailbox, message: Message, body: bytes) -> Answer:
        destination = box.folder(str(json.loads(body or b"{}").get("destinationId") or ""))
        if destination is None:
            return graph_error(400, "ErrorInvalidIdMalformed", "Id is malformed.")
        self.store.move(box, message, destination)
        return 201, self._message_json(message, "", ""), {}

    # -- delta -------------------------------------------------------------------------------
    def _delta(self, box: Mailbox, folder: Folder, query: dict[str, str]) -> Answer:
        if "$skiptoken" in query:
            round_ = self.store.rounds.pop(query["$skiptoken"], None)
        elif "$deltatoken" in query:
            state = _untoken(query["$deltatoken"])
            if state is None or state.get("s", -1) < self.store.min_token_seq \
                    or state.get("f") != folder.id:
                return graph_error(410, "SyncStateNotFound",
                                   "The sync state token is not valid anymore.")
            round_ = self.store.start_round(box, folder, int(state["s"]),
                                            select=state["sel"], expand=state["exp"])
        else:
            round_ = self.store.start_round(box, folder, None, select=query.get("$select", ""),
                                            expand=query.get("$expand", ""))
        if round_ is None:
            return graph_error(410, "SyncStateNotFound", "The sync state token is not valid anymore.")
        size = int((re.search(r"odata\.maxpagesize=(\d+)", self.prefer) or [0, 10])[1])
        page, round_.entries = round_.entries[:size], round_.entries[size:]
        link = f"{self.graph.graph_url}/users('{box.upn}')/mailfolders('{folder.id}')/messages/delta"
        out: dict[str, Any] = {"@odata.context": f"{self.graph.graph_url}/$metadata#Collection"
                                                 "(message)",
                               "value": [self._entry(box, e, round_) for e in page]}
        if round_.entries:
            out["@odata.nextLink"] = f"{link}?%24skiptoken={self.store.park(round_)}"
        else:
            token = _token({"f": folder.id, "s": round_.end_seq, "sel": round_.select,
                            "exp": round_.expand})
            out["@odata.deltaLink"] = f"{link}?%24deltatoken={token}"
        return 200, out, {}

    def _entry(self, box: Mailbox, entry: tuple[Message | None, str], round_: Round) -> dict:
        message, removed = entry
        if message is not None:
            return self._message_json(message, round_.select, round_.expand)
        gone = box.messages[removed]
        return {"@odata.type": "#microsoft.graph.message", "id": self._id(gone),
                "@removed": {"reason": "deleted"}}
