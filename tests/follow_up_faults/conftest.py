"""The fixtures these tests share with the services' and the Slack adapter's tests."""

from tests.adapters.slack.conftest import bot, slack  # noqa: F401
from tests.adapters.slack.test_follow_ups import filing_bot, github  # noqa: F401
from tests.services.conftest import incidents, now, playbooks, units  # noqa: F401
from tests.services.test_follow_ups import filing  # noqa: F401
