"""What declaring says in Slack beyond the declarer's reply: what failed while setting up, and
that it is set up after all."""

from __future__ import annotations

from bot.adapters.slack import blocks, mrkdwn
from bot.services.chat import Message
from bot.services.read_model import IncidentView


class SlackDeclaringWording:
    def setup_failed(self, problems: list[str]) -> Message:
        text = "\n".join(
            [
                "Setting up the channel, some of it failed:",
                *problems,
                "I keep trying, and will tell you here when it is done.",
            ]
        )
        return Message(blocks.notice(text, ":warning:"), text)

    def setup_finished(self, view: IncidentView) -> Message:
        where = f" in {mrkdwn.channel(view.channel_id)}" if view.channel_id else ""
        text = f"{blocks.headline(view)} is set up now{where}: everything I owed is done."
        return Message(blocks.notice(text, ":white_check_mark:"), text)
