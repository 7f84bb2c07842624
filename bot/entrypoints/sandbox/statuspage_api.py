"""A local Atlassian Statuspage (REST API v1) over real HTTP, checking each request against
Statuspage's published API description (``statuspage_openapi.json``), for tests and the
sandbox.

It answers as the description says: 401 without ``Authorization: OAuth <key>``, 404 for a
page or incident it does not have, 400 for a body that is not a JSON object of the schema's
shape, 422 for a value outside the schema (an enum, a required field, the limits its
descriptions state, a component the page does not have); errors are ``{"message": ...}``
(its ErrorEntity). It can be told to fail the next requests (``fail_next``) or to answer
them late (``hang_next``).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import re
import secrets
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

Json = dict[str, Any]
SPEC_PATH = Path(__file__).with_name("statuspage_openapi.json")
PREFIX = "/v1"
NAME_LIMIT, BODY_LIMIT = 255, 25000  # the schema's descriptions: "a maximum limit of ..."
CLOSED = frozenset({"resolved", "completed"})
TYPES: Mapping[str, type | tuple[type, ...]] = {
    "string": str,
    "boolean": bool,
    "object": dict,
    "array": list,
    "integer": int,
}


@dataclass(frozen=True)
class Operation:
    """One operation of the description: its path as a pattern, and its body's schema."""

    method: str
    template: str
    pattern: re.Pattern[str]
    body: Json | None
    """The ``incident`` object's schema (None: the operation takes no body)."""


@functools.cache
def operations(spec_path: Path = SPEC_PATH) -> tuple[Operation, ...]:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    found = []
    for template, methods in spec["paths"].items():
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        for method, operation in methods.items():
            ref = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
                .get("$ref")
            )
            body = schemas[ref.rsplit("/", 1)[-1]]["properties"]["incident"] if ref else None
            found.append(Operation(method.upper(), template, re.compile(f"^{regex}$"), body))
    # A literal path wins over a template that would match it (incidents/unresolved).
    return tuple(sorted(found, key=lambda op: op.template.count("{")))


@functools.cache
def incident_properties(spec_path: Path = SPEC_PATH) -> frozenset[str]:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    return frozenset(spec["components"]["schemas"]["Incident"]["properties"])


class Refused(Exception):
    """An answer other than success: HTTP ``status`` and Statuspage's ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Request:
    """A request as the stand-in received it, and what it answered."""

    method: str
    path: str
    body: Json | None
    status: int
    authorized: bool


@dataclass
class Page:
    id: str
    components: dict[str, Json] = field(default_factory=dict)
    incidents: dict[str, Json] = field(default_factory=dict)


class StatuspageStub:
    """One Statuspage page on 127.0.0.1 (``base_url`` ends with ``/v1``)."""

    def __init__(self, page_id: str = "pgsandbox001", api_key: str | None = None) -> None:
        self.page = Page(page_id)
        self.api_key = api_key or f"sp-{secrets.token_hex(12)}"
        self.requests: list[Request] = []
        self._failures: deque[tuple[int, str]] = deque()
        self._hangs: deque[float] = deque()
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- set-up ----------------------------------------------------------------------------

    def add_component(self, component_id: str, name: str, status: str = "operational") -> None:
        self.page.components[component_id] = {
            "id": component_id,
            "name": name,
            "status": status,
            "page_id": self.page.id,
        }

    def fail_next(self, status: int, message: str = "", times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` (and ``message``), doing nothing."""
        said = message or {
            401: "Could not authenticate",
            404: "The requested resource could not be found.",
            422: "Unprocessable entity",
            429: "Rate limit exceeded",
        }.get(status, "Internal server error")
        with self._lock:
            self._failures.extend([(status, said)] * times)

    def hang_next(self, seconds: float) -> None:
        """Answer the next request only after ``seconds`` (its work is done, late)."""
        with self._lock:
            self._hangs.append(seconds)

    def component_status(self, component_id: str) -> str:
        with self._lock:
            return str(self.page.components[component_id]["status"])

    def incidents(self) -> list[Json]:
        with self._lock:
            return [dict(incident) for incident in self.page.incidents.values()]

    # --- serving ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"

    def start(self) -> StatuspageStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, answer = stub.handle(
                    self.command,
                    self.path,
                    self.headers.get("Authorization"),
                    self.headers.get("Content-Type"),
                    raw,
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)  # a client that gave up waiting has gone

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()  # a hanging answer gives up waiting
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> StatuspageStub:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- one request -----------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        authorization: str | None,
        content_type: str | None,
        raw: bytes,
    ) -> tuple[int, Any]:
        """(HTTP status, JSON answer) for one request; recorded in ``requests``."""
        with self._lock:
            hang = self._hangs.popleft() if self._hangs else None
        if hang is not None:
            self._released.wait(hang)
        authorized = authorization == f"OAuth {self.api_key}"
        body: Json | None = None
        try:
            if not authorized:
                raise Refused(401, "Could not authenticate")
            with self._lock:
                failure = self._failures.popleft() if self._failures else None
            if failure is not None:
                raise Refused(*failure)
            operation, params = _route(method, path.split("?", 1)[0])
            if params.get("page_id") != self.page.id:
                raise Refused(404, "The requested resource could not be found.")
            if operation.body is not None:
                body = _body(content_type, raw)
                _check(operation, body["incident"], self.page)
            with self._lock:
                status, answer = self._apply(operation, params, body)
        except Refused as refused:
            status, answer = refused.status, {"message": refused.message}
        with self._lock:
            self.requests.append(Request(method, path, body, status, authorized))
            self._answered.notify_all()
        return status, answer

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[Request]:
        """The requests answered so far, once there are at least ``count`` (or the timeout)."""
        with self._answered:
            self._answered.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def _apply(
        self, operation: Operation, params: Mapping[str, str], body: Json | None
    ) -> tuple[int, Any]:
        if operation.method == "GET":
            open_ones = [i for i in self.page.incidents.values() if i["status"] not in CLOSED]
            return 200, [_shown(i) for i in open_ones]
        assert body is not None
        fields = body["incident"]
        now = datetime.now(UTC).isoformat()
        if operation.method == "POST":
            incident_id = f"inc{next(self._ids):09d}"
            incident: Json = {
                "id": incident_id,
                "page_id": self.page.id,
                "status": "investigating",
                "impact": "none",
                "created_at": now,
                "resolved_at": None,
                "shortlink": f"http://stspg.io/{incident_id[-6:]}",
                "metadata": {},
                "incident_updates": [],
                "component_ids": [],
            }
            self.page.incidents[incident_id] = incident
            status = 201
        else:
            incident = self.page.incidents.get(params["incident_id"]) or {}
            if not incident:
                raise Refused(404, "The requested resource could not be found.")
            status = 200
        for name in ("name", "status", "metadata", "impact_override"):
            if name in fields:
                incident[name] = fields[name]
        ids = list(dict.fromkeys([*incident["component_ids"], *fields.get("component_ids", [])]))
        incident["component_ids"] = ids
        for component_id, shows in (fields.get("components") or {}).items():
            if shows:
                self.page.components[component_id]["status"] = shows
        if "body" in fields:
            incident["incident_updates"].append(
                {"body": fields["body"], "status": incident["status"], "created_at": now}
            )
        incident["updated_at"] = now
        if incident["status"] in CLOSED and incident["resolved_at"] is None:
            incident["resolved_at"] = now
        return status, _shown(incident, self.page)


def _route(method: str, path: str) -> tuple[Operation, dict[str, str]]:
    if not path.startswith(PREFIX + "/"):
        raise Refused(404, "The requested resource could not be found.")
    local = path[len(PREFIX) :].removesuffix(".json")
    for operation in operations():
        matched = operation.pattern.match(local)
        if matched and operation.method == method:
            return operation, matched.groupdict()
    raise Refused(404, "The requested resource could not be found.")


def _body(content_type: str | None, raw: bytes) -> Json:
    if (content_type or "").split(";")[0].strip() != "application/json":
        raise Refused(400, "Bad request: the body must be JSON (Content-Type: application/json)")
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise Refused(400, "Bad request: the body is not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("incident"), dict):
        raise Refused(400, "Bad request: expected an object with an `incident` object")
    unknown = sorted(set(body) - {"incident"})
    if unknown:
        raise Refused(400, f"Bad request: unknown field {unknown[0]}")
    return body


def _check(operation: Operation, incident: Json, page: Page) -> None:
    """The ``incident`` object against its schema, and what the descriptions say in words."""
    properties: Json = operation.body["properties"] if operation.body else {}
    for name in incident:
        if name not in properties:
            raise Refused(400, f"Bad request: incident.{name} is not a field of an incident")
    for name in operation.body.get("required", []) if operation.body else []:
        if incident.get(name) in (None, ""):
            raise Refused(422, f"incident.{name} can't be blank")
    for name, value in incident.items():
        schema = properties[name]
        expected = TYPES.get(schema.get("type", ""), object)
        if not isinstance(value, expected):
            raise Refused(400, f"Bad request: incident.{name} must be a {schema['type']}")
        if "enum" in schema and value not in schema["enum"]:
            raise Refused(422, f"incident.{name} must be one of {', '.join(schema['enum'])}")
    if len(incident.get("name", "")) > NAME_LIMIT:
        raise Refused(422, f"incident.name is longer than {NAME_LIMIT} characters")
    if len(incident.get("body", "")) > BODY_LIMIT:
        raise Refused(422, f"incident.body is longer than {BODY_LIMIT} characters")
    if any(not isinstance(v, dict) for v in (incident.get("metadata") or {}).values()):
        raise Refused(422, "incident.metadata: every top-level value must be an object")
    statuses = next(iter(properties["components"]["properties"].values()))["enum"]
    for component_id, shows in (incident.get("components") or {}).items():
        if component_id not in page.components:
            raise Refused(422, f"component {component_id} not found on this page")
        if shows not in statuses:
            raise Refused(422, f"component status must be one of {', '.join(statuses)}")
    for component_id in incident.get("component_ids") or []:
        if not isinstance(component_id, str) or component_id not in page.components:
            raise Refused(422, f"component {component_id} not found on this page")


def _shown(incident: Json, page: Page | None = None) -> Json:
    """An incident as the API answers it: the description's Incident properties only."""
    shown = {k: v for k, v in incident.items() if k in incident_properties()}
    if page is not None:
        shown["components"] = [dict(page.components[c]) for c in incident["component_ids"]]
    return shown
