"""Who the bot is in Slack (auth.test), asked once and remembered, so no request waits for it.

Bolt's default single-workspace authorization calls auth.test on the first request it serves;
that is one Slack round trip inside the acknowledgement. The bot asks at start-up instead, and
again only while the answer is missing (Slack unreachable at start).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

log = logging.getLogger(__name__)


class BotIdentity:
    def __init__(self, web: WebClient) -> None:
        self.web = web
        self._result: AuthorizeResult | None = None
        self._lock = threading.Lock()
        self.checked_at: datetime | None = None
        self.valid: bool | None = None

    def check(self) -> bool:
        """Ask Slack now; True when the token is valid."""
        self.checked_at = datetime.now(UTC)
        try:
            response = self.web.auth_test()
        except (SlackClientError, OSError) as error:  # an unreachable Slack raises URLError
            log.warning("auth.test failed", extra={"error": type(error).__name__})
            self.valid = False
            return False
        with self._lock:
            self._result = AuthorizeResult.from_auth_test_response(
                bot_token=self.web.token, auth_test_response=response
            )
        self.valid = True
        return True

    def authorize(self) -> AuthorizeResult:
        """Bolt's ``authorize`` hook: the remembered answer (asked for now if there is none)."""
        if self._result is None:
            self.check()
        if self._result is None:
            raise PermissionError("Slack did not confirm the bot token (auth.test failed)")
        return self._result
