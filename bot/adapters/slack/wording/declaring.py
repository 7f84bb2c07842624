"""What declaring says in Slack beyond the declarer's reply: what failed while setting up."""

from __future__ import annotations

from bot.adapters.slack import blocks
from bot.services.chat import Message


class SlackDeclaringWording:
    def setup_failed(self, problems: list[str]) -> Message:
        text = "\n".join(["Setting up the channel, some of it failed:", *problems])
        return Message(blocks.notice(text, ":warning:"), text)
