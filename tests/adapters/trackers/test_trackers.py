"""The tracker adapters against their stand-ins over real HTTP, failures included: what each
sends is what the real API takes, and a failure says why without a credential."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.adapters.trackers.github import GitHubIssues
from bot.adapters.trackers.jira import JiraIssues
from bot.core.follow_ups import Destination, FollowUpState
from bot.entrypoints.sandbox.github_api import GitHubApiStub
from bot.entrypoints.sandbox.jira_api import JiraApiStub
from bot.services.trackers import NewIssue, Tracker, TrackerUnavailable

NEW = NewIssue(
    "add retries", "Follow-up 1 of incident 7.\n\nadd retries", "incident-bot:7:1", "2026-12-14"
)


@pytest.fixture
def github() -> Iterator[GitHubApiStub]:
    stub = GitHubApiStub().start()
    stub.add_repo("acme/checkout")
    yield stub
    stub.stop()


@pytest.fixture
def jira() -> Iterator[JiraApiStub]:
    stub = JiraApiStub().start()
    stub.add_project("PAY")
    yield stub
    stub.stop()


def github_issues(stub: GitHubApiStub, token: str | None = None) -> GitHubIssues:
    return GitHubIssues(token or stub.token, stub.url, timeout=2)


def jira_issues(stub: JiraApiStub, token: str = "jira-sandbox-token") -> JiraIssues:
    return JiraIssues(stub.url, "bot@example.com", token, timeout=2)


GITHUB = Destination("github", "acme/checkout")
JIRA = Destination("jira", "PAY", "Task")


def round_trip(tracker: Tracker, where: Destination) -> None:
    assert tracker.find(where, NEW.marker) is None
    opened = tracker.open(where, NEW)
    assert tracker.find(where, NEW.marker) == opened  # found again by its marker
    assert tracker.find(where, "incident-bot:7:2") is None
    assert tracker.get(opened.key).state is FollowUpState.OPEN
    tracker.close(opened.key, FollowUpState.DONE)
    tracker.close(opened.key, FollowUpState.DONE)  # closing a closed one is no failure
    assert tracker.get(opened.key).state is FollowUpState.DONE


def test_github_issues_are_opened_found_and_closed(github: GitHubApiStub) -> None:
    round_trip(github_issues(github), GITHUB)
    [issue] = github.issues("acme/checkout")
    assert issue["title"] == "add retries" and issue["state_reason"] == "completed"
    assert [label["name"] for label in issue["labels"]] == ["incident-bot"]
    sent = github.requests("POST")[0]
    assert sent.headers["x-github-api-version"] == "2022-11-28"
    assert sent.headers["accept"] == "application/vnd.github+json"


def test_jira_issues_are_opened_found_and_resolved_by_a_done_transition(
    jira: JiraApiStub,
) -> None:
    round_trip(jira_issues(jira), JIRA)
    fields = jira.issues["PAY-1"]["fields"]
    assert fields["issuetype"] == {"name": "Task"} and fields["duedate"] == "2026-12-14"
    assert fields["description"]["type"] == "doc"
    assert "incident-bot-7-1" in fields["labels"]
    assert [r.body for r in jira.requests("POST") if r.path.endswith("/transitions")] == [
        {"transition": {"id": "31"}}
    ]


@pytest.mark.parametrize(
    ("fault", "lasting", "said"),
    [
        ((401, {"message": "Bad credentials"}), True, "GitHub answered 401: Bad credentials"),
        ((404, {"message": "Not Found"}), True, "GitHub answered 404: Not Found"),
        ((410, {"message": "Issues are disabled for this repo"}), True, "Issues are disabled"),
        ((422, {"message": "Validation Failed"}), True, "422: Validation Failed"),
        ((502, None), False, "GitHub answered 502"),
        ((503, {"message": "Service unavailable"}), False, "503"),
    ],
)
def test_a_github_failure_says_why_and_whether_asking_again_helps(
    github: GitHubApiStub, fault: tuple[int, object], lasting: bool, said: str
) -> None:
    github.fail_next(*fault)
    with pytest.raises(TrackerUnavailable) as raised:
        github_issues(github).open(GITHUB, NEW)
    assert said in str(raised.value) and raised.value.lasting is lasting
    assert github.token not in str(raised.value)


def test_the_stand_ins_refuse_what_the_real_apis_refuse(
    github: GitHubApiStub, jira: JiraApiStub
) -> None:
    with pytest.raises(TrackerUnavailable, match="401: Bad credentials") as bad:
        github_issues(github, token="ghp_wrong").open(GITHUB, NEW)
    assert "ghp_wrong" not in str(bad.value)
    with pytest.raises(TrackerUnavailable, match="404"):
        github_issues(github).open(Destination("github", "acme/nope"), NEW)
    with pytest.raises(TrackerUnavailable, match="401: You are not authenticated"):
        jira_issues(jira, token="wrong").open(JIRA, NEW)
    with pytest.raises(TrackerUnavailable, match="project: valid project is required"):
        jira_issues(jira).open(Destination("jira", "NOPE", "Task"), NEW)
    with pytest.raises(TrackerUnavailable, match="issuetype: Specify a valid issue type"):
        jira_issues(jira).open(Destination("jira", "PAY", "Epicness"), NEW)
    with pytest.raises(TrackerUnavailable, match="404: Issue does not exist"):
        jira_issues(jira).get("PAY-99")


def test_a_tracker_that_cannot_be_reached_is_unavailable_for_now(github: GitHubApiStub) -> None:
    url = github.url
    github.stop()
    with pytest.raises(TrackerUnavailable, match="could not be reached") as raised:
        GitHubIssues(github.token, url, timeout=1).open(GITHUB, NEW)
    assert raised.value.lasting is False


def test_a_github_issue_is_read_and_closed_in_the_repository_its_key_names(
    github: GitHubApiStub,
) -> None:
    github.add_repo("acme/search")
    issues = github_issues(github)
    opened = issues.open(GITHUB, NEW)
    issues.open(Destination("github", "acme/search"), NEW)  # same number, another repository

    issues.close(opened.key, FollowUpState.WONT_DO)

    [checkout] = github.issues("acme/checkout")
    [search] = github.issues("acme/search")
    assert (checkout["state"], checkout["state_reason"]) == ("closed", "not_planned")
    assert search["state"] == "open"
    assert issues.get("acme/search#1").state is FollowUpState.OPEN
    assert issues.get(opened.key).state is FollowUpState.WONT_DO  # not planned: won't do
    with pytest.raises(TrackerUnavailable) as odd:
        issues.get("PAY-1")
    assert odd.value.lasting is True


def test_a_github_marker_is_found_whole_and_mentions_ping_no_one(github: GitHubApiStub) -> None:
    issues = github_issues(github)
    twelfth = NewIssue("t", "Owner in Slack: bob. Ask @carol, cc bob@example.com", "x:7:12", "")
    issues.open(GITHUB, twelfth)

    assert issues.find(GITHUB, "x:7:1") is None
    assert issues.find(GITHUB, "x:7:12") is not None
    [issue] = github.issues("acme/checkout")
    assert "@carol" not in issue["body"] and "@&#8203;carol" in issue["body"]
    assert "bob@example.com" in issue["body"]


@pytest.mark.parametrize(
    ("resolution", "state"),
    [
        ("Done", FollowUpState.DONE),
        ("Won't Do", FollowUpState.WONT_DO),
        ("Duplicate", FollowUpState.WONT_DO),
        ("Cannot Reproduce", FollowUpState.WONT_DO),
    ],
)
def test_a_jira_resolution_says_whether_it_was_done(
    jira: JiraApiStub, resolution: str, state: FollowUpState
) -> None:
    issues = jira_issues(jira)
    opened = issues.open(JIRA, NEW)
    jira.resolve(opened.key, resolution)
    assert issues.get(opened.key).state is state
    assert issues.find(JIRA, NEW.marker) == issues.get(opened.key)


@pytest.mark.parametrize("on_screen", [True, False])
def test_a_jira_issue_dropped_here_is_closed_as_wont_do_where_the_screen_allows(
    jira: JiraApiStub, on_screen: bool
) -> None:
    jira.resolution_on_screen = on_screen
    issues = jira_issues(jira)
    opened = issues.open(JIRA, NEW)

    issues.close(opened.key, FollowUpState.WONT_DO)

    fields = jira.issues[opened.key]["fields"]
    assert fields["status"]["statusCategory"]["key"] == "done"
    assert fields["resolution"] == {"name": "Won't Do" if on_screen else "Done"}


@pytest.mark.parametrize("tracker", ["github", "jira"])
def test_an_issue_is_brought_up_to_date_keeping_its_marker(
    github: GitHubApiStub, jira: JiraApiStub, tracker: str
) -> None:
    issues: Tracker = github_issues(github) if tracker == "github" else jira_issues(jira)
    where = GITHUB if tracker == "github" else JIRA
    opened = issues.open(where, NEW)
    now = NewIssue(
        "add retries, twice",
        "Follow-up 1 of incident 7.\n\nOwner: bob",
        NEW.marker,
        "2027-01-05",
        was_title=NEW.title,
    )

    issues.update(opened.key, now)

    assert issues.find(where, NEW.marker) == opened
    if tracker == "github":
        [kept] = github.issues("acme/checkout")
        assert kept["title"] == "add retries, twice" and "Owner: bob" in kept["body"]
    else:
        fields = jira.issues[opened.key]["fields"]
        assert (fields["summary"], fields["duedate"]) == ("add retries, twice", "2027-01-05")
        [comment] = jira.comments[opened.key]
        assert "Owner: bob" in str(comment)
