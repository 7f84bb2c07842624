"""Tickets filed for incidents: which tracker, which reference."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapters.db.tables import TicketRow
from bot.services.records import Ticket


class Tickets:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, incident_id: int, ticket: Ticket) -> None:
        self.session.add(
            TicketRow(
                incident_id=incident_id,
                system=ticket.system,
                reference=ticket.reference,
                url=ticket.url,
                filed_at=ticket.filed_at,
            )
        )
        self.session.flush()

    def for_incident(self, incident_id: int) -> Ticket | None:
        row = self.session.scalar(select(TicketRow).where(TicketRow.incident_id == incident_id))
        if row is None:
            return None
        return Ticket(row.system, row.reference, row.url, row.filed_at)
