"""GitHub webhooks as a team sets them up: form-encoded (GitHub's default content type, the
JSON in the form field ``payload``, signed over the body as sent), and a repository whose
canonical spelling differs in case from the catalog's (GitHub's names are case-insensitive)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.follow_ups import FollowUpState
from bot.entrypoints.sandbox.github_api import GitHubApiStub
from tests.adapters.slack.conftest import BotClient
from tests.adapters.slack.test_follow_ups import TRACKER_SECRET, with_follow_up


@pytest.fixture
def github() -> Iterator[GitHubApiStub]:
    """GitHub with the repository the catalog calls acme/checkout spelled Acme/Checkout."""
    stub = GitHubApiStub().start()
    stub.add_repo("Acme/Checkout")
    yield stub
    stub.stop()


def _filed(bot: BotClient) -> None:
    with_follow_up(bot, "add retries to the payment client")


def test_the_stand_in_takes_any_case_and_answers_its_own_spelling(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    _filed(filing_bot)
    [issue] = github.issues("acme/checkout")
    assert issue["html_url"] == "https://github.com/Acme/Checkout/issues/1"
    assert filing_bot.runtime.service.get(1).follow_ups[0].link is not None


@pytest.mark.parametrize("form", [False, True])
def test_a_close_named_in_githubs_spelling_closes_the_follow_up(
    filing_bot: BotClient, github: GitHubApiStub, form: bool
) -> None:
    _filed(filing_bot)
    hook = f"{filing_bot.url}/webhooks/github"
    status = github.close_issue("acme/checkout", 1, hook, secret=TRACKER_SECRET, form=form)
    state = filing_bot.runtime.service.get(1).follow_ups[0].state
    assert (status, state) == (200, FollowUpState.DONE)


def test_a_form_encoded_delivery_badly_signed_is_refused(
    filing_bot: BotClient, github: GitHubApiStub
) -> None:
    _filed(filing_bot)
    hook = f"{filing_bot.url}/webhooks/github"
    assert github.close_issue("acme/checkout", 1, hook, secret="wrong", form=True) == 401
    assert filing_bot.runtime.service.get(1).follow_ups[0].state is FollowUpState.OPEN
