"""Tickets as messages in a Slack triage channel: the TicketSink until Jira or GitHub issues."""

from __future__ import annotations

from bot.adapters.slack import blocks, mrkdwn
from bot.services.chat import Chat, ChatFailure, Message
from bot.services.read_model import IncidentView
from bot.services.records import Ticket
from bot.services.rooms import TicketNotFiled


class SlackTriageTickets:
    """Files a ticket as a message in the triage channel (or nowhere but the record)."""

    system = "slack-triage"

    def __init__(self, chat: Chat, channel: str | None) -> None:
        self.chat = chat
        self.channel = channel

    def file(self, view: IncidentView) -> Ticket:
        """The ticket ``INC-<id>``; raises TicketNotFiled if the triage channel refuses it."""
        reference = f"INC-{view.id}"
        if self.channel:
            text = (
                f"*Ticket {reference}* ({blocks.headline(view)}), logged by "
                f"{mrkdwn.user(view.declared_by)}. Fix it in the next sprint."
            )
            message = Message(blocks.notice(text, ":ticket:"), f"Ticket {reference}")
            try:
                self.chat.post(self.channel, message)
            except ChatFailure as failure:
                raise TicketNotFiled(str(failure)) from failure
        return Ticket(self.system, reference, None, view.now)
