"""A Jira Cloud stand-in that checks requests as its REST API v3 does.

Source: developer.atlassian.com/cloud/jira/platform/rest/v3 (issues, transitions, JQL search).
Basic authentication with an account's email and API token (401 otherwise); creating needs a
known ``project`` key, a ``summary``, a known ``issuetype``, a ``description`` in Atlassian
Document Format and labels without spaces (400 with ``errors`` by field otherwise); a
transition must be one the issue offers (400), and may set a known ``resolution`` only when
its screen has the field (400 "Field 'resolution' cannot be set" otherwise, as in Jira Cloud's
default workflow). A deleted issue is 404. Issues say when they were created and resolved
(``created``, ``resolutiondate``, from ``clock``); search shows one ``search_lag`` after its
creation.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.entrypoints.sandbox.json_api import Answer, JsonApi, Refused, Request, deliver_webhook

TRANSITIONS = [
    {"id": "11", "name": "To Do", "to": {"name": "To Do", "statusCategory": {"key": "new"}}},
    {
        "id": "21",
        "name": "In Progress",
        "to": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
    },
    {"id": "31", "name": "Done", "to": {"name": "Done", "statusCategory": {"key": "done"}}},
]
REJECT = {
    "id": "41",
    "name": "Reject",
    "to": {"name": "Rejected", "statusCategory": {"key": "done"}},
}
"""A transition many Jira workflows have: into a status of the done category that is not
done (its resolution Won't Do)."""
ISSUE_TYPES = frozenset({"Task", "Bug", "Story"})
RESOLUTIONS = frozenset({"Done", "Won't Do", "Duplicate", "Cannot Reproduce"})
MISSING = {
    "errorMessages": ["Issue does not exist or you do not have permission to see it."],
    "errors": {},
}


class JiraApiStub(JsonApi):
    """Jira Cloud's issue API for the projects ``add_project`` made, for one account."""

    def __init__(
        self,
        email: str = "bot@example.com",
        api_token: str = "jira-sandbox-token",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__("Jira")
        self.clock = clock  # when issues are created and resolved (``resolutiondate``)
        self.search_lag = timedelta(0)
        """How long a new issue stays out of JQL search: Jira Cloud's search is eventually
        consistent (an issue created is found seconds, at worst minutes, later)."""
        self.credentials = base64.b64encode(f"{email}:{api_token}".encode()).decode()
        self.projects: set[str] = set()
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        """Each issue's comments' bodies (Atlassian documents), oldest first."""
        self.resolution_on_screen = True
        self.transitions: list[dict[str, Any]] = list(TRANSITIONS)
        """The workflow's transitions, as ``GET …/transitions`` lists them (``REJECT`` may be
        added: a done-category status that is not done)."""
        """Whether the Done transition's screen takes a resolution."""
        self._keys = threading.Lock()
        self.route("POST", r"/rest/api/3/issue", self._create)
        self.route("GET", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]*-\d+)", self._get)
        self.route("PUT", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]*-\d+)", self._edit)
        self.route(
            "GET", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]*-\d+)/transitions", self._transitions
        )
        self.route(
            "POST", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]*-\d+)/transitions", self._transition
        )
        self.route("POST", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]*-\d+)/comment", self._comment)
        self.route("GET", r"/rest/api/3/issue/(?P<key>[A-Z][A-Z0-9_]*-\d+)/comment", self._comments)
        self.route("POST", r"/rest/api/3/search/jql", self._search)

    def add_project(self, key: str) -> None:
        self.projects.add(key)

    def resolve(self, key: str, resolution: str = "Done") -> None:
        """Move it to Done with ``resolution``, as a person would in Jira."""
        self.issues[key]["fields"]["status"] = TRANSITIONS[2]["to"]
        self.issues[key]["fields"]["resolution"] = {"name": resolution}
        self.issues[key]["fields"]["resolutiondate"] = _jira_time(self.clock())

    def resolve_issue(
        self, key: str, webhook: str | None = None, secret: str = "", resolution: str = "Done"
    ) -> int:
        """Resolve it as a person would in Jira; send the ``jira:issue_updated`` webhook to
        ``webhook`` if given (signed with ``secret``: ``X-Hub-Signature: sha256=<HMAC>``);
        returns the webhook's HTTP status."""
        self.resolve(key, resolution)
        if webhook is None:
            return 0
        payload = {"webhookEvent": "jira:issue_updated", "issue": self.issues[key]}
        return deliver_webhook(webhook, payload, secret, "X-Hub-Signature")

    def delete(self, key: str) -> None:
        del self.issues[key]

    def _authorized(self, request: Request) -> None:
        if request.headers.get("authorization") != f"Basic {self.credentials}":
            raise Refused(401, {"errorMessages": ["You are not authenticated."], "errors": {}})

    def _create(self, request: Request) -> Answer:
        self._authorized(request)
        body = request.body if isinstance(request.body, dict) else {}
        raw = body.get("fields")
        fields: dict[str, Any] = raw if isinstance(raw, dict) else {}
        errors: dict[str, str] = {}
        project = (
            (fields.get("project") or {}).get("key")
            if isinstance(fields.get("project"), dict)
            else None
        )
        if project not in self.projects:
            errors["project"] = "valid project is required"
        if not isinstance(fields.get("summary"), str) or not fields["summary"].strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(fields["summary"]) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        kind = fields.get("issuetype")
        if not isinstance(kind, dict) or kind.get("name") not in ISSUE_TYPES:
            errors["issuetype"] = "Specify a valid issue type"
        description = fields.get("description")
        if description is not None and not _document(description):
            errors["description"] = (
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            )
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or any(
            not isinstance(x, str) or re.search(r"\s", x) for x in labels
        ):
            errors["labels"] = "Labels cannot contain spaces."
        due = fields.get("duedate")
        if due is not None and not (
            isinstance(due, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", due)
        ):
            errors["duedate"] = "Error parsing date string"
        if errors:
            raise Refused(400, {"errorMessages": [], "errors": errors})
        with self._keys:
            number = sum(1 for k in self.issues if k.startswith(f"{project}-")) + 1
            key = f"{project}-{number}"
            self.issues[key] = {
                "id": str(10000 + len(self.issues)),
                "key": key,
                "fields": {
                    **fields,
                    "status": TRANSITIONS[0]["to"],
                    "created": _jira_time(self.clock()),
                },
            }
        return Answer(
            201, {"id": self.issues[key]["id"], "key": key, "self": f"/rest/api/3/issue/{key}"}
        )

    def _issue(self, request: Request) -> dict[str, Any]:
        self._authorized(request)
        issue = self.issues.get(request.params["key"])
        if issue is None:
            raise Refused(404, MISSING)
        return issue

    def _get(self, request: Request) -> Answer:
        issue = self._issue(request)
        return Answer(200, {"id": issue["id"], "key": issue["key"], "fields": issue["fields"]})

    def _edit(self, request: Request) -> Answer:
        """Edit issue: ``fields`` it may set (summary, description as a document, duedate)."""
        issue = self._issue(request)
        raw = request.body.get("fields") if isinstance(request.body, dict) else None
        fields: dict[str, Any] = raw if isinstance(raw, dict) else {}
        errors: dict[str, str] = {}
        for name in fields:
            if name not in ("summary", "description", "duedate", "labels"):
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen."
        if "summary" in fields and (
            not isinstance(fields["summary"], str) or not 0 < len(fields["summary"]) <= 255
        ):
            errors["summary"] = "Summary must be less than 255 characters."
        if "description" in fields and not _document(fields["description"]):
            errors["description"] = "Operation value must be an Atlassian Document"
        if errors:
            raise Refused(400, {"errorMessages": [], "errors": errors})
        issue["fields"].update(fields)
        return Answer(204)

    def _comment(self, request: Request) -> Answer:
        """Add comment: a ``body`` that is an Atlassian document (400 otherwise)."""
        issue = self._issue(request)
        body = request.body.get("body") if isinstance(request.body, dict) else None
        if not isinstance(body, dict) or not _document(body):
            why = "Comment body must be an Atlassian Document"
            raise Refused(400, {"errorMessages": [], "errors": {"comment": why}})
        made = self.comments.setdefault(issue["key"], [])
        made.append(body)
        return Answer(201, {"id": str(len(made)), "body": body})

    def _comments(self, request: Request) -> Answer:
        """Get comments: oldest first, or newest first with ``orderBy=-created``; at most
        ``maxResults`` (50 unless asked)."""
        made = list(self.comments.get(self._issue(request)["key"], []))
        if request.query.get("orderBy") == "-created":
            made.reverse()
        most = int(request.query.get("maxResults", "50"))
        listed = [{"id": str(n), "body": body} for n, body in enumerate(made[:most], 1)]
        return Answer(
            200, {"startAt": 0, "maxResults": most, "total": len(made), "comments": listed}
        )

    def _transitions(self, request: Request) -> Answer:
        self._issue(request)
        return Answer(200, {"transitions": self.transitions})

    def _transition(self, request: Request) -> Answer:
        issue = self._issue(request)
        wanted = (
            (request.body or {}).get("transition", {}) if isinstance(request.body, dict) else {}
        )
        chosen = next((t for t in self.transitions if t["id"] == str(wanted.get("id"))), None)
        if chosen is None:
            raise Refused(
                400, {"errorMessages": ["Transition id is not valid for this issue."], "errors": {}}
            )
        asked = request.body.get("fields") if isinstance(request.body, dict) else None
        resolution = asked.get("resolution") if isinstance(asked, dict) else None
        name = resolution.get("name") if isinstance(resolution, dict) else None
        done = chosen["to"]["statusCategory"]["key"] == "done"
        if resolution is not None:
            if not self.resolution_on_screen or not done:
                why = "Field 'resolution' cannot be set. It is not on the appropriate screen."
                raise Refused(400, {"errorMessages": [], "errors": {"resolution": why}})
            if name not in RESOLUTIONS:
                raise Refused(400, {"errorMessages": [], "errors": {"resolution": "invalid"}})
        issue["fields"]["status"] = chosen["to"]
        otherwise = "Won't Do" if chosen["to"]["name"] == "Rejected" else "Done"
        issue["fields"]["resolution"] = {"name": name or otherwise} if done else None
        issue["fields"]["resolutiondate"] = _jira_time(self.clock()) if done else None
        return Answer(204)

    def _search(self, request: Request) -> Answer:
        self._authorized(request)
        jql = (request.body or {}).get("jql", "") if isinstance(request.body, dict) else ""
        terms = dict(re.findall(r'(\w+)\s*=\s*"([^"]*)"', jql))
        if not terms:
            raise Refused(400, {"errorMessages": [f"Error in the JQL Query: {jql}"], "errors": {}})
        found = [
            {
                "id": i["id"],
                "key": i["key"],
                "fields": {
                    "status": i["fields"]["status"],
                    "resolution": i["fields"].get("resolution"),
                    "resolutiondate": i["fields"].get("resolutiondate"),
                },
            }
            for i in self.issues.values()
            if self._indexed(i)
            and terms.get("project", i["key"].split("-")[0]) == i["key"].split("-")[0]
            and ("labels" not in terms or terms["labels"] in i["fields"].get("labels", []))
        ]
        return Answer(200, {"issues": found[: int((request.body or {}).get("maxResults", 50))]})

    def _indexed(self, issue: dict[str, Any]) -> bool:
        """Whether search shows ``issue`` yet (``search_lag`` after it was created)."""
        created = datetime.strptime(issue["fields"]["created"], "%Y-%m-%dT%H:%M:%S.000%z")
        return created + self.search_lag <= self.clock()


def _jira_time(at: datetime) -> str:
    """A time as Jira writes it: ``2026-03-20T09:55:00.000+0000``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _document(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )
