"""Deploy use cases: record a deploy once, list recent ones, find the ones near an incident."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.core.rollback import Deploy
from bot.db.deploys import Deploys
from bot.services.clock import Clock


class DeployService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def record(self, deploy: Deploy, source: str, key: str | None = None) -> bool:
        """Store ``deploy``; False when this delivery (``key``) was stored before."""
        with self.sessions.begin() as session:
            return Deploys(session).record(
                deploy, source=source, recorded_at=self.clock(), delivery_key=key
            )

    def recent(
        self, service: str | None = None, within: timedelta = timedelta(hours=24), limit: int = 20
    ) -> list[Deploy]:
        with self.sessions() as session:
            return Deploys(session).recent(self.clock(), within, service, limit)

    def before(
        self, services: Collection[str], started_at: datetime, window: timedelta
    ) -> list[Deploy]:
        """Deploys of ``services`` that finished in the ``window`` before ``started_at``."""
        if not services:
            return []
        with self.sessions() as session:
            return Deploys(session).between(services, started_at - window, started_at)
