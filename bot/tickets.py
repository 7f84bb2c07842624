"""Where tickets go. For now a record plus a message in the triage channel; a Jira or GitHub
sink implements the same one-method interface later."""

from __future__ import annotations

from typing import Protocol

from bot.services.read_model import IncidentView
from bot.services.records import Ticket
from bot.slack import blocks, mrkdwn
from bot.slack.gateway import SlackGateway


class TicketSink(Protocol):
    def file(self, view: IncidentView) -> Ticket: ...


class SlackTriageTickets:
    """Files a ticket as a message in the triage channel (or nowhere but the record)."""

    system = "slack-triage"

    def __init__(self, gateway: SlackGateway, channel: str | None) -> None:
        self.gateway = gateway
        self.channel = channel

    def file(self, view: IncidentView) -> Ticket:
        reference = f"INC-{view.id}"
        if self.channel:
            who = mrkdwn.user(view.declared_by)
            text = (
                f"*Ticket {reference}* ({blocks.headline(view)}), logged by {who}. "
                "Fix it in the next sprint."
            )
            self.gateway.post(self.channel, blocks.notice(text, ":ticket:"), f"Ticket {reference}")
        return Ticket(self.system, reference, None, view.now)
