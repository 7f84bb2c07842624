"""What the bot did in the tracker stand-ins, in words for the sandbox's transcript: one line
per issue opened, closed, updated (saying what changed) or commented on."""

from __future__ import annotations

from typing import Any

from bot.entrypoints.sandbox.jira_api import JiraApiStub
from bot.entrypoints.sandbox.json_api import Answer, Request

Call = tuple[Request, Answer]


def github(call: Call) -> str | None:
    """``acme/checkout#1 opened: <title>``, ``… closed as completed``, ``… updated: title,
    body``; None for a call that changed nothing."""
    request, answer = call
    if answer.status >= 300 or request.method not in ("POST", "PATCH"):
        return None
    issue = answer.body
    repo = "/".join(request.path.split("/")[2:4])
    name = f"{repo}#{issue['number']}"
    if request.method == "POST":
        return f"{name} opened: {issue['title']}"
    body: dict[str, Any] = request.body if isinstance(request.body, dict) else {}
    if body.get("state") == "closed":
        reason = str(body.get("state_reason") or "completed").replace("_", " ")
        return f"{name} closed as {reason}: {issue['title']}"
    return f"{name} updated ({', '.join(sorted(body)) or 'nothing'}): {issue['title']}"


def jira(call: Call, stub: JiraApiStub) -> str | None:
    """``PAY-1 opened: <summary>``, ``… closed as Won't Do``, ``… updated: duedate
    2026-12-15``, ``… commented``; None for a call that changed nothing."""
    request, answer = call
    if answer.status >= 300 or request.method == "GET" or "/search/" in request.path:
        return None
    body: dict[str, Any] = request.body if isinstance(request.body, dict) else {}
    if request.method == "POST" and request.path.rstrip("/").endswith("/rest/api/3/issue"):
        key = answer.body["key"]
        return f"{key} opened: {stub.issues[key]['fields']['summary']}"
    key = request.path.split("/")[5]
    if request.path.endswith("/transitions"):
        fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
        resolution = (fields or {}).get("resolution") or {"name": "Done"}
        return f"{key} closed as {resolution.get('name')}"
    if request.path.endswith("/comment"):
        return f"{key} commented: the follow-up changed in Slack"
    fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
    changed = [
        f"{name} {value}" for name, value in (fields or {}).items() if isinstance(value, str)
    ]
    return f"{key} updated: {', '.join(changed) or 'nothing'}"
