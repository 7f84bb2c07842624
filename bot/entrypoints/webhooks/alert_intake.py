"""Receiving Alertmanager's webhook: authenticate, parse, store, and pass on what is new."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping

from bot.core.alerts import Alert
from bot.entrypoints.webhooks import alertmanager
from bot.entrypoints.webhooks.intake import Answer


class AlertIntake:
    def __init__(
        self,
        receive: Callable[[list[Alert]], list[Alert]],
        token: str | None,
        label: str,
        newly_firing: Callable[[list[Alert]], object],
    ) -> None:
        self.store = receive  # stores them; returns those newly firing
        self.token = token
        self.label = label  # the catalog's alert_label: which label names the service
        self.newly_firing = newly_firing

    def receive(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        if not self.token:
            return 503, {"error": "ALERTMANAGER_WEBHOOK_TOKEN is not set; alert intake is off"}
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), self.token):
            return 401, {"error": "expected Authorization: Bearer <ALERTMANAGER_WEBHOOK_TOKEN>"}
        try:
            alerts = alertmanager.parse(json.loads(body), self.label)
        except (ValueError, UnicodeDecodeError) as error:
            return 400, {
                "error": str(error)
                if isinstance(error, alertmanager.InvalidPayload)
                else "body: expected a JSON object"
            }
        fresh = self.store(alerts)
        if fresh:
            self.newly_firing(fresh)
        return 200, {"received": len(alerts), "newly_firing": len(fresh)}
