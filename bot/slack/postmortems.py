"""`/incident postmortem`: the post-mortems service, answered in Slack."""

from __future__ import annotations

from bot.services.postmortems import Postmortems
from bot.services.read_model import IncidentView
from bot.slack import mrkdwn
from bot.slack.replies import Invocation, Reply, notice


class PostmortemDesk:
    def __init__(self, postmortems: Postmortems) -> None:
        self.postmortems = postmortems

    def write(self, who: Invocation, view: IncidentView) -> Reply:
        """Draft it (a file in the channel, a copy on disk) and say where it is."""
        path = self.postmortems.write(view)
        return notice(
            f"The post-mortem draft is in the channel and at `{mrkdwn.escape(path)}`."
            " When it is published, type `/incident postmortem done <url>`.",
            ":memo:",
        )

    def published(self, who: Invocation, view: IncidentView, url: str) -> Reply | None:
        """Record the published document, which meets the post-mortem deadline."""
        self.postmortems.published(view, url, who.user)
        return None
