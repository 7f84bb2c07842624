"""A GitHub Issues stand-in that checks requests as GitHub's REST API does.

Source: docs.github.com/en/rest/issues/issues (API version 2022-11-28): a request needs a
``User-Agent`` (403 without), a valid token (401 "Bad credentials"); an unknown repository is
404; creating needs a ``title`` (422 "Validation Failed" with a ``missing_field`` error) and
``labels`` as strings; updating takes ``state`` open or closed and ``state_reason`` completed,
not_planned or reopened (422 otherwise). Owner and repository names are case-insensitive and
answered in the repository's own spelling (``full_name``, ``html_url``, ``repository_url``); an
issue says when it was created and closed (``created_at``, ``closed_at``, ISO 8601 in UTC, from
``clock``); with ``drop_labels`` the token's user has no push access, so the labels of a new
issue are "silently dropped" as GitHub does; issues list newest first, filtered by ``labels``,
``creator`` and ``since``. It also sends the ``issues`` webhook GitHub sends when
an issue is closed, signed with ``X-Hub-Signature-256``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.entrypoints.sandbox.json_api import Answer, JsonApi, Refused, Request, deliver_webhook

REPO = r"/repos/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)"
DOCS = "https://docs.github.com/rest/issues/issues"


class GitHubApiStub(JsonApi):
    """GitHub's issues API for the repositories ``add_repo`` made, with one ``token``."""

    def __init__(
        self,
        token: str = "ghp_sandboxtoken",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        drop_labels: bool = False,
        user: str = "incident-bot[bot]",
    ) -> None:
        super().__init__("GitHub")
        self.token = token
        self.clock = clock
        self.drop_labels = drop_labels
        self.user = user  # the token's user: the issues' ``user.login``
        self.repos: dict[str, dict[int, dict[str, Any]]] = {}
        self._numbers = threading.Lock()
        self.route("GET", REPO, self._repository)
        self.route("POST", REPO + "/issues", self._create)
        self.route("GET", REPO + "/issues", self._list)
        self.route("GET", REPO + r"/issues/(?P<number>\d+)", self._get)
        self.route("PATCH", REPO + r"/issues/(?P<number>\d+)", self._update)

    def add_repo(self, name: str) -> None:
        """A repository spelled ``name`` (its canonical spelling: GitHub answers with it)."""
        if self.canonical(name) is None:
            self.repos[name] = {}

    def canonical(self, name: str) -> str | None:
        """The repository ``name`` names in any case, in its own spelling; None if none."""
        return next((r for r in self.repos if r.casefold() == name.casefold()), None)

    def delete_issue(self, repo: str, number: int) -> None:
        del self.repos[self.canonical(repo) or repo][number]

    def issues(self, repo: str) -> list[dict[str, Any]]:
        return list(self.repos[self.canonical(repo) or repo].values())

    def close_issue(
        self,
        repo: str,
        number: int,
        webhook: str | None = None,
        secret: str = "",
        reason: str = "completed",
        form: bool = False,
    ) -> int:
        """Close it as a person would on github.com (``reason``: completed or not_planned);
        send the ``issues`` webhook to ``webhook`` if given (signed with ``secret``; with
        ``form``, form-encoded, GitHub's default content type); returns the webhook's HTTP
        status."""
        repo = self.canonical(repo) or repo
        issue = self.repos[repo][number]
        issue["state"], issue["state_reason"] = "closed", reason
        issue["closed_at"] = issue["updated_at"] = _iso(self.clock())
        if webhook is None:
            return 0
        payload = {"action": "closed", "issue": issue, "repository": {"full_name": repo}}
        return deliver_webhook(
            webhook, payload, secret, "X-Hub-Signature-256", form, **{"X-GitHub-Event": "issues"}
        )

    def _authorized(self, request: Request) -> dict[int, dict[str, Any]]:
        if not request.headers.get("user-agent"):
            raise Refused(403, {"message": "Request forbidden by administrative rules."})
        auth = request.headers.get("authorization", "")
        if auth not in (f"Bearer {self.token}", f"token {self.token}"):
            raise Refused(401, {"message": "Bad credentials", "documentation_url": DOCS})
        repo = self._named(request)
        if repo is None:
            raise Refused(404, {"message": "Not Found", "documentation_url": DOCS})
        return self.repos[repo]

    def _named(self, request: Request) -> str | None:
        return self.canonical(f"{request.params['owner']}/{request.params['repo']}")

    def _repository(self, request: Request) -> Answer:
        self._authorized(request)
        return Answer(200, {"full_name": self._named(request), "has_issues": True})

    def _create(self, request: Request) -> Answer:
        issues = self._authorized(request)
        body = request.body if isinstance(request.body, dict) else {}
        title = body.get("title")
        if not isinstance(title, str | int) or title == "":
            raise _invalid("title", "missing_field")
        labels = body.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise _invalid("labels", "invalid")
        if self.drop_labels:
            labels = []  # "Only users with push access can set labels for new issues."
        repo = self._named(request)
        now = _iso(self.clock())
        with self._numbers:
            number = len(issues) + 1
            issue = {
                "id": 1000 + number,
                "number": number,
                "title": str(title),
                "body": body.get("body"),
                "state": "open",
                "state_reason": None,
                "labels": [{"name": name} for name in labels],
                "user": {"login": self.user},
                "created_at": now,
                "updated_at": now,
                "closed_at": None,
                "html_url": f"https://github.com/{repo}/issues/{number}",
                "repository_url": f"https://api.github.com/repos/{repo}",
            }
            issues[number] = issue
        return Answer(201, issue)

    def _list(self, request: Request) -> Answer:
        issues = self._authorized(request)
        state = request.query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise _invalid("state", "invalid")
        wanted = {x for x in request.query.get("labels", "").split(",") if x}
        creator = request.query.get("creator")
        since = request.query.get("since", "")
        found = [
            i
            for i in sorted(issues.values(), key=lambda i: -int(i["number"]))
            if state in ("all", i["state"])
            and wanted <= {label["name"] for label in i["labels"]}
            and creator in (None, i["user"]["login"])
            and str(i["updated_at"]) >= since
        ]
        size = int(request.query.get("per_page", "30"))
        page = int(request.query.get("page", "1"))
        return Answer(200, found[(page - 1) * size : page * size])

    def _get(self, request: Request) -> Answer:
        issue = self._authorized(request).get(int(request.params["number"]))
        if issue is None:
            raise Refused(404, {"message": "Not Found", "documentation_url": DOCS})
        return Answer(200, issue)

    def _update(self, request: Request) -> Answer:
        issue = self._authorized(request).get(int(request.params["number"]))
        if issue is None:
            raise Refused(404, {"message": "Not Found", "documentation_url": DOCS})
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("state", issue["state"]) not in ("open", "closed"):
            raise _invalid("state", "invalid")
        if body.get("state_reason") not in (None, "completed", "not_planned", "reopened"):
            raise _invalid("state_reason", "invalid")
        if "title" in body and (not isinstance(body["title"], str) or not body["title"]):
            raise _invalid("title", "invalid")
        if "body" in body and not isinstance(body["body"], str | None):
            raise _invalid("body", "invalid")
        now = _iso(self.clock())
        if body.get("state", issue["state"]) != issue["state"]:
            issue["closed_at"] = now if body["state"] == "closed" else None
        issue["updated_at"] = now
        issue["state"] = body.get("state", issue["state"])
        issue["state_reason"] = body.get("state_reason", issue["state_reason"])
        issue["title"] = body.get("title", issue["title"])
        issue["body"] = body.get("body", issue["body"])
        return Answer(200, issue)


def _iso(at: datetime) -> str:
    """A time as GitHub writes it: ``2026-03-20T09:00:00Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invalid(field: str, code: str) -> Refused:
    return Refused(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "Issue", "code": code, "field": field}],
            "documentation_url": DOCS,
        },
    )
