"""Follow-ups as Jira Cloud issues, through REST API v3 (its base URL a setting).

Source: developer.atlassian.com/cloud/jira/platform/rest/v3 (issues: create, get, edit,
transitions; issue comments: add; issue search: JQL). Authentication: basic, an account's
email and API token. A change made in Slack after filing sets the due date (and the summary,
unless the team changed it) and is said in a comment: the description is the team's. An issue
is closed by a transition into the "done" status category: for done, the one named Done (not
Rejected, Won't Do, ...), for won't do one named so if there is one; a follow-up dropped here asks
for the resolution "Won't Do" with it, and transitions without it when the workflow's screen
does not take a resolution; a project whose create screen has no Due date gets its issues
without one (the description says it). An issue in the done category is a follow-up won't do
when its resolution is one of Jira's not-done ones (Won't Do, Duplicate, Cannot Reproduce,
...)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from bot.adapters.trackers import titles
from bot.adapters.trackers.http import call, moment
from bot.core.follow_ups import Destination, FollowUpState
from bot.services.trackers import Issue, NewIssue, TrackerUnavailable

LABEL = "incident-bot"
SEARCH_LAG = timedelta(minutes=5)
"""How long an issue just created may be missing from Jira Cloud's JQL search ("eventually
consistent": seconds usually, minutes at worst); a create whose answer was lost is looked for
that long before it is made again (``JIRA_SEARCH_LAG_SECONDS``)."""
WONT_DO = "Won't Do"
NOT_DONE = frozenset(
    {"won't do", "won't fix", "duplicate", "cannot reproduce", "declined", "rejected", "obsolete"}
)
"""Resolutions (lower case) that close an issue without doing it: Jira Cloud's defaults and
the common ones of older Jira workflows."""
NOT_DONE_STATUSES = NOT_DONE | {
    "reject",
    "decline",
    "cancel",
    "cancelled",
    "canceled",
    "closed as won't do",
}
"""Transition or status names (lower case) that close an issue without doing it."""


class JiraIssues:
    """The Tracker port on Jira Cloud."""

    name = "jira"

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: str,
        timeout: float = 10.0,
        search_lag: timedelta = SEARCH_LAG,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = base64.b64encode(f"{email}:{api_token}".encode()).decode()
        self.timeout = timeout
        self.search_lag = search_lag

    def find(self, where: Destination, marker: str, since: datetime | None = None) -> Issue | None:
        """The issue labelled with ``marker``, by JQL search (which lags Jira's writes: see
        ``search_lag``); ``since`` is not needed, the label names one follow-up."""
        jql = f'project = "{where.place}" AND labels = "{_label(marker)}"'
        body = {"jql": jql, "fields": ["status", "resolution", "resolutiondate"], "maxResults": 1}
        found = self._call("POST", "/rest/api/3/search/jql", body)
        issues = found.get("issues", []) if isinstance(found, dict) else []
        return self._issue(issues[0]) if issues else None

    def open(self, where: Destination, issue: NewIssue) -> Issue:
        fields = {
            "project": {"key": where.place},
            "summary": issue.title,
            "issuetype": {"name": where.kind or "Task"},
            "description": _document(issue.body),
            "labels": [LABEL, _label(issue.marker), titles.label(titles.digest(issue.title))],
            "duedate": issue.due,
        }
        created = self._with_due_date("POST", "/rest/api/3/issue", fields)
        if not isinstance(created, dict) or not isinstance(created.get("key"), str):
            raise TrackerUnavailable("Jira answered with something that is not an issue")
        return Issue(created["key"], self._browse(created["key"]))

    def update(self, key: str, issue: NewIssue) -> None:
        """The due date; the summary only while it is still the one the bot gave it (the one
        its title label records, set in the same request as the summary; or, for an issue
        filed before labels recorded it, ``issue.was_title``); and a comment saying what the
        follow-up says now, unless the newest comment says it already (a retried update
        posts it once): the description, the team's to edit once it is filed, stays."""
        path = f"/rest/api/3/issue/{quote(key)}"
        there = self._call("GET", f"{path}?fields=summary,labels")
        fields = there.get("fields") if isinstance(there, dict) else None
        fields = fields if isinstance(fields, dict) else {}
        summary = str(fields.get("summary") or "")
        labels = [str(x) for x in fields.get("labels") or [] if isinstance(x, str)]
        gave = titles.labelled(labels)
        ours = summary == issue.was_title if gave is None else gave == titles.digest(summary)
        kept = gave or titles.digest(issue.was_title or "")
        record = titles.label(titles.digest(issue.title) if ours else kept)
        mine = [x for x in labels if not x.startswith(titles.LABEL_PREFIX)] + [record]
        change: dict[str, Any] = {"duedate": issue.due, "labels": mine}
        if ours and summary != issue.title:
            change["summary"] = issue.title
        self._with_due_date("PUT", path, change, optional=("labels",))
        comment = _document(f"Changed in Slack. Now:\n\n{issue.body}")
        if _text(self._newest_comment(path)) != _text(comment):
            self._call("POST", f"{path}/comment", {"body": comment})

    def _newest_comment(self, path: str) -> Any:
        """The body of the issue's newest comment (None if it has none)."""
        listed = self._call("GET", f"{path}/comment?orderBy=-created&maxResults=1")
        comments = listed.get("comments") if isinstance(listed, dict) else None
        newest = comments[0] if isinstance(comments, list) and comments else None
        return newest.get("body") if isinstance(newest, dict) else None

    def _with_due_date(
        self, method: str, path: str, fields: dict[str, Any], optional: tuple[str, ...] = ()
    ) -> Any:
        """Create or edit with ``fields``; again without the due date (and the ``optional``
        fields) the project's screen refuses (400 naming them): the description says the
        due date; without the title label, the summary is told by ``NewIssue.was_title``."""
        try:
            return self._call(method, path, {"fields": fields})
        except TrackerUnavailable as refused:
            named = {n for n in ("duedate", *optional) if n in fields and n in str(refused)}
            if refused.status != 400 or not named:
                raise
            without = {name: value for name, value in fields.items() if name not in named}
            return self._call(method, path, {"fields": without}) if without else None

    def get(self, key: str) -> Issue:
        path = f"/rest/api/3/issue/{quote(key)}?fields=status,resolution,resolutiondate"
        return self._issue(self._call("GET", path))

    def close(self, key: str, state: FollowUpState) -> None:
        if self.get(key).closed:
            return
        path = f"/rest/api/3/issue/{quote(key)}/transitions"
        listed = self._call("GET", path)
        transitions = listed.get("transitions", []) if isinstance(listed, dict) else []
        done = closing(transitions, state)
        if done is None:
            raise TrackerUnavailable(f"Jira offers no transition of {key} to done", lasting=True)
        move: dict[str, Any] = {"transition": {"id": str(done["id"])}}
        if state is FollowUpState.WONT_DO:
            try:
                self._call("POST", path, {**move, "fields": {"resolution": {"name": WONT_DO}}})
                return
            except TrackerUnavailable as refused:
                if not refused.lasting:
                    raise  # else: the screen takes no resolution; close it all the same
        self._call("POST", path, move)

    def _issue(self, item: Any) -> Issue:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise TrackerUnavailable("Jira answered with something that is not an issue")
        fields = item.get("fields")
        state = state_of(fields)
        closed_at = closed_time(fields) if state is not FollowUpState.OPEN else None
        return Issue(item["key"], self._browse(item["key"]), state, closed_at)

    def _browse(self, key: str) -> str:
        return f"{self.base_url}/browse/{key}"

    def _call(self, method: str, path: str, body: object | None = None) -> Any:
        headers = {"Authorization": f"Basic {self._auth}", "Accept": "application/json"}
        return call(method, self.base_url + path, headers, body, self.timeout, "Jira").body


def closing(transitions: list[Any], state: FollowUpState) -> dict[str, Any] | None:
    """The transition that closes an issue as ``state``, among those into the done category:
    for done, one named (or into a status named) Done, else any not named as not done
    (Rejected, Won't Do, ...), else the first; for won't do, one named as not done, else
    the first. None when none goes to done."""
    done = [t for t in transitions if isinstance(t, dict) and _category(t.get("to")) == "done"]

    def names(t: dict[str, Any]) -> set[str]:
        to = t.get("to")
        status = to.get("name", "") if isinstance(to, dict) else ""
        return {str(t.get("name", "")).strip().lower(), str(status).strip().lower()}

    not_done = [t for t in done if names(t) & NOT_DONE_STATUSES]
    if state is FollowUpState.WONT_DO:
        ranked = not_done + done
    else:
        named = [t for t in done if "done" in names(t)]
        ranked = named + [t for t in done if t not in not_done] + done
    return ranked[0] if ranked else None


def state_of(fields: Any) -> FollowUpState:
    """An issue's ``fields`` (status, resolution) as a follow-up's state."""
    if not isinstance(fields, dict) or _category(fields.get("status")) != "done":
        return FollowUpState.OPEN
    resolution = fields.get("resolution")
    name = resolution.get("name") if isinstance(resolution, dict) else None
    if isinstance(name, str) and name.strip().lower() in NOT_DONE:
        return FollowUpState.WONT_DO
    return FollowUpState.DONE


def closed_time(fields: Any) -> datetime | None:
    """When the issue was resolved (its ``resolutiondate``), if its ``fields`` say."""
    return moment(fields.get("resolutiondate")) if isinstance(fields, dict) else None


def _category(status: Any) -> str:
    if not isinstance(status, dict):
        return ""
    category = status.get("statusCategory")
    return str(category.get("key", "")) if isinstance(category, dict) else ""


def _label(marker: str) -> str:
    """A label naming one follow-up (labels take no spaces or colons)."""
    return marker.replace(":", "-")


def _text(document: Any) -> str:
    """An Atlassian Document's words (its text nodes, paragraphs a blank line apart), as
    Jira may give it back with more attributes than it was sent with."""
    if not isinstance(document, dict):
        return ""
    paragraphs = []
    for block in document.get("content") or []:
        parts = block.get("content") if isinstance(block, dict) else None
        nodes = parts if isinstance(parts, list) else []
        paragraphs.append("".join(str(n.get("text", "")) for n in nodes if isinstance(n, dict)))
    return "\n\n".join(paragraphs)


def _document(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document: one paragraph per blank-line-separated block."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs
        ],
    }
