"""Paging through the PagerDuty Events API v2 (its URL configurable, so tests use their own)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from bot.services.pager import Page

log = logging.getLogger(__name__)
EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


class PagerDuty:
    """The Pager port on PagerDuty's Events API v2."""

    def __init__(self, url: str = EVENTS_URL, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def trigger(self, page: Page) -> bool:
        """Send a trigger event; False (logged, never raised) when PagerDuty did not take it."""
        body = json.dumps(
            {
                "routing_key": page.routing_key,
                "event_action": "trigger",
                "dedup_key": page.dedup_key,
                "payload": {
                    "summary": page.summary[:1024],
                    "severity": page.severity,
                    "source": page.source,
                },
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is ours, from settings
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                accepted = bool(200 <= response.status < 300)
        except (urllib.error.URLError, OSError) as error:
            log.warning(
                "PagerDuty did not take the page",
                extra={"dedup_key": page.dedup_key, "error": type(error).__name__},
            )
            return False
        return accepted
