"""Receiving deploy webhooks: authenticate, parse, store once, then advise open incidents."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from bot.adapters import signing
from bot.core.rollback import Deploy
from bot.entrypoints.webhooks import deploys
from bot.services.deploys import DeployService

log = logging.getLogger(__name__)
Answer = tuple[int, dict[str, Any]]


class DeployIntake:
    def __init__(
        self, deploys_: DeployService, secret: str | None, reported: Callable[[Deploy], object]
    ) -> None:
        self.deploys = deploys_
        self.secret = secret
        self.reported = reported  # runs after the answer (re-advising open incidents)

    def receive(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        if not self.secret:
            return 503, {"error": "DEPLOY_WEBHOOK_SECRET is not set; deploy webhooks are off"}
        signature = headers.get("x-signature-256") or headers.get("x-hub-signature-256")
        if not signing.verify(body, signature, self.secret):
            return 401, {"error": "bad or missing X-Signature-256 (sha256=<HMAC of the body>)"}
        try:
            parsed = deploys.parse(body, headers)
        except deploys.MalformedDeploy as malformed:
            return 400, {"error": str(malformed)}
        if isinstance(parsed, deploys.Ignored):
            return 202, {"ignored": parsed.reason}
        stored = self.deploys.record(parsed.deploy, parsed.source, parsed.key)
        if not stored:
            return 200, {"stored": False, "duplicate": True}
        log.info(
            "deploy recorded",
            extra={"service": parsed.deploy.service, "version": parsed.deploy.version},
        )
        self.reported(parsed.deploy)
        return 201, {"stored": True}
