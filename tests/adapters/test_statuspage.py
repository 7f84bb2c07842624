"""The Statuspage adapter against the Statuspage stand-in, over real HTTP: what it sends, what
it makes of the answers, and each way the page fails (the failure's reason, status, words)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

from bot.adapters.statuspage import Statuspage
from bot.core.status_page import ComponentStatus, PageStatus
from bot.entrypoints.sandbox.statuspage_api import StatuspageStub
from bot.services.status_page import PageFailure, PagePost, Reason

LOGIN, API = "k8m2v4l7q9xw", "q1w2e3r4t5y6"


@pytest.fixture
def stub() -> Iterator[StatuspageStub]:
    with StatuspageStub() as page:
        page.add_component(LOGIN, "Sign-in")
        page.add_component(API, "API")
        yield page


@pytest.fixture
def page(stub: StatuspageStub) -> Statuspage:
    return Statuspage(stub.page.id, stub.api_key, stub.base_url, timeout=2)


def post(status: PageStatus = PageStatus.INVESTIGATING, **components: ComponentStatus) -> PagePost:
    shows = components or {LOGIN: ComponentStatus.MAJOR_OUTAGE}
    return PagePost("Sign-in: service disruption", status, "We are investigating.", shows, "12")


def test_opening_sends_what_the_api_description_asks(
    page: Statuspage, stub: StatuspageStub
) -> None:
    opened = page.open(post())
    [sent] = stub.requests
    assert (sent.method, sent.path, sent.status) == (
        "POST",
        f"/v1/pages/{stub.page.id}/incidents",
        201,
    )
    assert sent.body == {
        "incident": {
            "name": "Sign-in: service disruption",
            "status": "investigating",
            "body": "We are investigating.",
            "components": {LOGIN: "major_outage"},
            "component_ids": [LOGIN],
            "metadata": {"incident_bot": {"incident": "12"}},
        }
    }
    assert opened.status is PageStatus.INVESTIGATING and opened.url.startswith("http://stspg.io/")
    assert stub.component_status(LOGIN) == "major_outage"
    assert stub.component_status(API) == "operational"


def test_resolving_restores_the_components(page: Statuspage, stub: StatuspageStub) -> None:
    opened = page.open(post())
    resolved = page.update(
        opened.id, post(PageStatus.RESOLVED, **{LOGIN: ComponentStatus.OPERATIONAL})
    )
    assert resolved.status is PageStatus.RESOLVED
    assert stub.component_status(LOGIN) == "operational"
    [incident] = stub.incidents()
    assert [u["body"] for u in incident["incident_updates"]] == ["We are investigating."] * 2
    assert page.find("12") is None  # no longer unresolved


def test_an_incident_opened_by_a_request_that_got_no_answer_is_found(
    page: Statuspage, stub: StatuspageStub
) -> None:
    impatient = Statuspage(stub.page.id, stub.api_key, stub.base_url, timeout=0.2)
    stub.hang_next(0.6)  # longer than the adapter waits: it is opened, late
    with pytest.raises(PageFailure) as waited:
        impatient.open(post())
    assert waited.value.reason is Reason.UNREACHABLE and waited.value.status is None
    stub.wait_for_requests(1)
    found = page.find("12")
    assert found is not None and found.id == stub.incidents()[0]["id"]
    assert page.find("13") is None


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, Reason.UNAUTHORIZED),
        (404, Reason.NOT_FOUND),
        (422, Reason.REJECTED),
        (429, Reason.RATE_LIMITED),
        (500, Reason.UNAVAILABLE),
        (503, Reason.UNAVAILABLE),
    ],
)
def test_each_failure_says_why(
    page: Statuspage, stub: StatuspageStub, status: int, reason: Reason
) -> None:
    stub.fail_next(status, "what Statuspage said")
    with pytest.raises(PageFailure) as failed:
        page.open(post())
    assert (failed.value.reason, failed.value.status) == (reason, status)
    assert failed.value.detail == "what Statuspage said"
    assert stub.incidents() == []  # nothing was done


def test_a_wrong_key_a_wrong_page_and_an_unknown_component_are_refused(
    stub: StatuspageStub,
) -> None:
    wrong_key = Statuspage(stub.page.id, "not-the-key", stub.base_url)
    with pytest.raises(PageFailure) as refused:
        wrong_key.open(post())
    assert (refused.value.status, refused.value.detail) == (401, "Could not authenticate")
    wrong_page = Statuspage("nosuchpage01", stub.api_key, stub.base_url)
    with pytest.raises(PageFailure) as missing:
        wrong_page.open(post())
    assert missing.value.reason is Reason.NOT_FOUND
    right = Statuspage(stub.page.id, stub.api_key, stub.base_url)
    with pytest.raises(PageFailure) as rejected:
        right.open(post(**{"zzzzzzzzzzzz": ComponentStatus.MAJOR_OUTAGE}))
    assert rejected.value.status == 422 and "zzzzzzzzzzzz" in rejected.value.detail
    with pytest.raises(PageFailure) as gone:
        right.update("inc404", post())
    assert gone.value.reason is Reason.NOT_FOUND
    assert stub.incidents() == []


def test_nothing_listens(stub: StatuspageStub) -> None:
    closed = Statuspage(stub.page.id, stub.api_key, "http://127.0.0.1:9/v1", timeout=1)
    with pytest.raises(PageFailure) as unreachable:
        closed.open(post())
    assert unreachable.value.reason is Reason.UNREACHABLE


def test_the_key_is_never_shown(stub: StatuspageStub) -> None:
    page = Statuspage(stub.page.id, "sp-secret-key", stub.base_url)
    assert "sp-secret-key" not in repr(page)


def _raw(
    stub: StatuspageStub,
    method: str,
    path: str,
    body: object,
    content_type: str = "application/json",
) -> tuple[int, object]:
    request = urllib.request.Request(
        stub.base_url + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"OAuth {stub.api_key}", "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"incident": {"status": "investigating"}}, 422, "incident.name can't be blank"),
        ({"incident": {"name": "x", "status": "broken"}}, 422, "incident.status must be one of"),
        ({"incident": {"name": "x", "components": {LOGIN: "down"}}}, 422, "component status"),
        ({"incident": {"name": "x" * 256}}, 422, "longer than 255"),
        ({"incident": {"name": "x", "metadata": {"a": 1}}}, 422, "must be an object"),
        ({"incident": {"name": "x", "colour": "red"}}, 400, "incident.colour is not a field"),
        ({"incident": {"name": 5}}, 400, "incident.name must be a string"),
        ({"name": "x"}, 400, "an `incident` object"),
    ],
)
def test_the_stand_in_checks_requests_as_the_description_says(
    stub: StatuspageStub, body: object, status: int, says: str
) -> None:
    answered, said = _raw(stub, "POST", f"/pages/{stub.page.id}/incidents", body)
    assert answered == status
    assert isinstance(said, dict) and says in said["message"]
    assert stub.incidents() == []


def test_the_stand_in_wants_json_and_known_paths(stub: StatuspageStub) -> None:
    form = _raw(stub, "POST", f"/pages/{stub.page.id}/incidents", {}, "text/plain")
    assert form[0] == 400
    assert _raw(stub, "POST", f"/pages/{stub.page.id}/incident", {"incident": {}})[0] == 404
    assert _raw(stub, "DELETE", f"/pages/{stub.page.id}/incidents/x", {})[0] == 404
