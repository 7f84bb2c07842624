"""Alerts from Alertmanager as the bot keeps them: what is newly firing, and what still fires."""

from __future__ import annotations

from collections.abc import Collection

from bot.core.alerts import Alert
from bot.services.clock import Clock
from bot.services.ports import UnitsOfWork


class AlertRecords:
    def __init__(self, units: UnitsOfWork, clock: Clock) -> None:
        self.units = units
        self.clock = clock

    def receive(self, alerts: list[Alert]) -> list[Alert]:
        """Store ``alerts`` as reported; returns the ones newly firing (new, or firing again)."""
        now = self.clock()
        with self.units() as uow:
            fresh = [alert for alert in alerts if uow.alerts.save(alert, now)]
            uow.commit()
        return fresh

    def find(self, fingerprint: str) -> Alert | None:
        """The latest alert with this fingerprint, if the bot has seen one."""
        with self.units() as uow:
            uow.read_only()
            return uow.alerts.find(fingerprint)

    def firing(self, services: Collection[str]) -> list[Alert]:
        """Alerts of ``services`` firing now, newest first."""
        with self.units() as uow:
            uow.read_only()
            return uow.alerts.firing(services)
