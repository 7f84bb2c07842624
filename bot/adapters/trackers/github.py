"""Follow-ups as GitHub issues, through the REST API (its URL a setting, so tests use their own).

Source: docs.github.com/en/rest/issues/issues (create, get, update; list by label), API version
2022-11-28. Issues are labelled ``incident-bot``; one opened before the bot noted it is found
again by its marker in the body among the issues listed since the follow-up was added (not by
the label, which GitHub drops for a token without push access; not by search, which lags). An
issue's key names its repository (``acme/checkout#12``), so it is read and closed there even
after the incident's services change.
``@name`` in a body would notify that GitHub user: the at sign is followed by a zero-width space
(``&#8203;``, as Renovate does for release notes), so the text reads the same and pings no one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from bot.adapters.trackers import titles
from bot.adapters.trackers.http import call, moment
from bot.core.follow_ups import Destination, FollowUpState
from bot.services.trackers import Issue, NewIssue, TrackerUnavailable

API_URL = "https://api.github.com"
PER_PAGE = "100"
FIND_PAGES = 5
"""Pages of issues (100 each) ``find`` looks through: those updated since the follow-up was
added, so only a repository with more than 500 such issues hides one from it."""
LABEL = "incident-bot"
_KEY = re.compile(r"([\w.-]+)/([\w.-]+)#(\d+)")
_MENTION = re.compile(r"(?<![\w`])@(?=[\w-])")


class GitHubIssues:
    """The Tracker port on GitHub Issues, with a token allowed to write issues."""

    name = "github"

    def __init__(self, token: str, api_url: str = API_URL, timeout: float = 10.0) -> None:
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout

    search_lag = timedelta(0)  # issues are listed, not searched: one just made is listed

    def find(self, where: Destination, marker: str, since: datetime | None = None) -> Issue | None:
        """The issue whose body holds ``marker``, among the repository's issues updated since
        ``since`` (all, without it), newest first, ``FIND_PAGES`` pages at most. Not by label:
        GitHub drops the labels of a new issue silently when the token's user has no push
        access, and its search lags its writes."""
        hidden = _hidden(marker)
        asked = {"state": "all", "sort": "created", "direction": "desc", "per_page": PER_PAGE}
        if since is not None:
            asked["since"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for page in range(1, FIND_PAGES + 1):
            query = urlencode({**asked, "page": str(page)})
            listed = self._call("GET", f"{self._repo(where.place)}/issues?{query}")
            items = listed if isinstance(listed, list) else []
            for item in items:
                if isinstance(item, dict) and hidden in str(item.get("body") or ""):
                    return _issue(where.place, item)
            if len(items) < int(PER_PAGE):
                break
        return None

    def open(self, where: Destination, issue: NewIssue) -> Issue:
        body = {"title": issue.title, "body": _block(issue), "labels": [LABEL]}
        return _issue(where.place, self._call("POST", f"{self._repo(where.place)}/issues", body))

    def update(self, key: str, issue: NewIssue) -> None:
        """Rewrite the bot's block of the body only (what the team wrote around it stays), and
        the title only while it is still the one the bot gave it: the one the block records
        (written in the same request as the title, so a request whose answer was lost, or
        one made while the follow-up changed again, still counts), or, for an issue filed
        before blocks recorded it, ``issue.was_title``."""
        repo, number = _parts(key)
        there = self._about_issue(repo, "GET", f"/issues/{number}")
        there = there if isinstance(there, dict) else {}
        body = str(there.get("body") or "")
        title = str(there.get("title") or "")
        gave = titles.given(body)
        ours = title == issue.was_title if gave is None else gave == titles.digest(title)
        kept = gave or titles.digest(issue.was_title or "")
        change = {"body": rewritten(body, issue, titles.digest(issue.title) if ours else kept)}
        if ours and title != issue.title:
            change["title"] = issue.title
        self._about_issue(repo, "PATCH", f"/issues/{number}", change)

    def get(self, key: str) -> Issue:
        repo, number = _parts(key)
        return _issue(repo, self._about_issue(repo, "GET", f"/issues/{number}"))

    def close(self, key: str, state: FollowUpState) -> None:
        repo, number = _parts(key)
        reason = "not_planned" if state is FollowUpState.WONT_DO else "completed"
        body = {"state": "closed", "state_reason": reason}
        self._about_issue(repo, "PATCH", f"/issues/{number}", body)

    def _about_issue(self, repo: str, method: str, path: str, body: object = None) -> Any:
        """A call about one issue. GitHub answers 404 both for an issue deleted and for a
        repository the token cannot see (docs.github.com/rest/using-the-rest-api/
        troubleshooting-the-rest-api): the repository is asked, so that losing access is a
        refusal of the bot (403), not every issue gone."""
        try:
            return self._call(method, f"{self._repo(repo)}{path}", body)
        except TrackerUnavailable as refused:
            if refused.status != 404:
                raise
            try:
                self._call("GET", self._repo(repo))
            except TrackerUnavailable as hidden:
                if hidden.status == 404:
                    why = f"GitHub answered 404 for {repo}: the token cannot see the repository"
                    raise TrackerUnavailable(why, lasting=True, status=403) from None
                raise
            raise

    def _repo(self, place: str) -> str:
        owner, _, repo = place.partition("/")
        return f"{self.api_url}/repos/{quote(owner)}/{quote(repo)}"

    def _call(self, method: str, url: str, body: object | None = None) -> Any:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "incident-bot",
        }
        return call(method, url, headers, body, self.timeout, "GitHub").body


def _issue(repo: str, item: Any) -> Issue:
    if not isinstance(item, dict) or not isinstance(item.get("number"), int):
        raise TrackerUnavailable("GitHub answered with something that is not an issue")
    state = FollowUpState.OPEN
    if item.get("state") == "closed":
        state = closed_as(item.get("state_reason"))
    url = str(item.get("html_url", ""))
    return Issue(f"{repo}#{item['number']}", url, state, moment(item.get("closed_at")))


NOT_DONE = frozenset({"not_planned", "duplicate"})
"""GitHub's ``state_reason`` values that close an issue without doing it."""


def closed_as(reason: object) -> FollowUpState:
    """How an issue GitHub closed with ``state_reason`` ``reason`` leaves its follow-up."""
    return FollowUpState.WONT_DO if reason in NOT_DONE else FollowUpState.DONE


BEGIN = "<!-- incident-bot begin -->"
"""Where the bot's block of an issue's body begins; it ends with the marker. An issue filed
before there was one has the bot's block from the start of the body."""


def _block(issue: NewIssue, gave: str | None = None) -> str:
    """The bot's block of the body: mentions that ping no one, between its two comments, and
    the record of the title the bot gave the issue (``gave``, a digest; of ``issue.title``
    when None)."""
    record = titles.record(gave or titles.digest(issue.title))
    body = _MENTION.sub("@&#8203;", issue.body)
    return f"{BEGIN}\n{body}\n\n{record}{_hidden(issue.marker)}"


def rewritten(body: str, issue: NewIssue, gave: str | None = None) -> str:
    """``body`` (as GitHub has it now) with the bot's block saying what ``issue`` says, and
    all the team wrote before and after it as it is. A body whose marker was removed gets
    the block at its end; one whose ``BEGIN`` was removed but not its marker gets the block
    where the marker was, what is above it kept (unless the body starts with the bot's own
    words, as one filed before there was a ``BEGIN`` does: then they are replaced)."""
    end = body.rfind(_hidden(issue.marker))
    if end < 0:
        return f"{body.rstrip()}\n\n{_block(issue, gave)}".lstrip()
    after = body[end + len(_hidden(issue.marker)) :]
    begin = body.rfind(BEGIN, 0, end)
    if begin >= 0:
        return body[:begin] + _block(issue, gave) + after
    above = body[:end].rstrip()
    opening = " ".join(issue.body.split(" ", 2)[:2])  # "Follow-up 1", "Sev3 incident"
    if not above or body.startswith(opening):
        return _block(issue, gave) + after
    return f"{above}\n\n{_block(issue, gave)}{after}"


def _hidden(marker: str) -> str:
    """The marker as the body holds it: an HTML comment github.com does not show, matched
    whole (``incident-bot:7:1`` is not found in ``incident-bot:7:12``)."""
    return f"<!-- {marker} -->"


def _parts(key: str) -> tuple[str, int]:
    """``acme/checkout#12`` as the repository and the number; a key that is not GitHub's is a
    lasting refusal (it cannot be asked about)."""
    found = _KEY.fullmatch(key)
    if found is None:
        raise TrackerUnavailable(f"{key} is not a GitHub issue (owner/repo#number)", lasting=True)
    return f"{found.group(1)}/{found.group(2)}", int(found.group(3))
