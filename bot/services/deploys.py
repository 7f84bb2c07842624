"""Deploy use cases: record a deploy once, list recent ones, find the ones near an incident."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from bot.core.rollback import Deploy
from bot.services.clock import Clock
from bot.services.ports import UnitsOfWork


class DeployService:
    def __init__(self, units: UnitsOfWork, clock: Clock) -> None:
        self.units = units
        self.clock = clock

    def record(self, deploy: Deploy, source: str, key: str | None = None) -> bool:
        """Store ``deploy``; False when this delivery (``key``) was stored before."""
        with self.units() as uow:
            stored = uow.deploys.record(
                deploy, source=source, recorded_at=self.clock(), delivery_key=key
            )
            uow.commit()
        return stored

    def recent(
        self, service: str | None = None, within: timedelta = timedelta(hours=24), limit: int = 20
    ) -> list[Deploy]:
        """Deploys (of ``service``, or of all) that finished ``within`` before now, newest first."""
        with self.units() as uow:
            uow.read_only()
            return uow.deploys.recent(self.clock(), within, service, limit)

    def before(
        self, services: Collection[str], started_at: datetime, window: timedelta
    ) -> list[Deploy]:
        """Deploys of ``services`` that finished in the ``window`` before ``started_at``."""
        if not services:
            return []
        with self.units() as uow:
            uow.read_only()
            return uow.deploys.between(services, started_at - window, started_at)
