"""Follow-ups as GitHub issues, through the REST API (its URL a setting, so tests use their own).

Source: docs.github.com/en/rest/issues/issues (create, get, update; list by label), API version
2022-11-28. Issues are labelled ``incident-bot`` so that one opened before the bot noted it is
found again by its marker without the search index's lag."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from bot.adapters.trackers.http import call
from bot.core.follow_ups import Destination
from bot.services.trackers import Issue, NewIssue, TrackerUnavailable

API_URL = "https://api.github.com"
LABEL = "incident-bot"


class GitHubIssues:
    """The Tracker port on GitHub Issues, with a token allowed to write issues."""

    name = "github"

    def __init__(self, token: str, api_url: str = API_URL, timeout: float = 10.0) -> None:
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    def find(self, where: Destination, marker: str) -> Issue | None:
        query = urlencode({"labels": LABEL, "state": "all", "per_page": "100"})
        listed = self._call("GET", f"{self._repo(where)}/issues?{query}")
        for item in listed if isinstance(listed, list) else []:
            if isinstance(item, dict) and marker in str(item.get("body") or ""):
                return _issue(where, item)
        return None

    def open(self, where: Destination, issue: NewIssue) -> Issue:
        text = f"{issue.body}\n\n<!-- {issue.marker} -->"  # hidden on github.com, found by find
        body = {"title": issue.title, "body": text, "labels": [LABEL]}
        return _issue(where, self._call("POST", f"{self._repo(where)}/issues", body))

    def get(self, where: Destination, key: str) -> Issue:
        return _issue(where, self._call("GET", f"{self._repo(where)}/issues/{_number(key)}"))

    def close(self, where: Destination, key: str) -> None:
        body = {"state": "closed", "state_reason": "completed"}
        self._call("PATCH", f"{self._repo(where)}/issues/{_number(key)}", body)

    def _repo(self, where: Destination) -> str:
        owner, _, repo = where.place.partition("/")
        return f"{self.api_url}/repos/{quote(owner)}/{quote(repo)}"

    def _call(self, method: str, url: str, body: object | None = None) -> Any:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "incident-bot",
        }
        return call(method, url, headers, body, self.timeout, "GitHub").body


def _issue(where: Destination, item: Any) -> Issue:
    if not isinstance(item, dict) or not isinstance(item.get("number"), int):
        raise TrackerUnavailable("GitHub answered with something that is not an issue")
    return Issue(
        f"{where.place}#{item['number']}",
        str(item.get("html_url", "")),
        item.get("state") == "closed",
    )


def _number(key: str) -> int:
    return int(key.rpartition("#")[2])
