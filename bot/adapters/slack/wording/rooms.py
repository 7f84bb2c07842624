"""An incident room's words in Slack: channel names, the card, topic and announcements."""

from __future__ import annotations

from collections.abc import Iterator

from markupsafe import Markup

from bot.adapters.slack import blocks, channels, failures, mrkdwn, updates
from bot.adapters.templates import Templates
from bot.core import durations
from bot.core.deadline_kinds import DeadlineKind
from bot.core.deadlines import pending
from bot.core.model import EventKind, Severity
from bot.playbooks.schema import Playbook
from bot.services.chat import Message
from bot.services.read_model import IncidentView
from bot.services.rooms import SetupProblem, Step

NAME_ATTEMPTS = 19  # then the channel is not created: "name_taken"

# What the declarer is told when a step fails; ``{about}`` is a team or a channel mention.
# An invitation, topic or pin failure says itself which call failed ("pins.add failed: ...").
PROBLEMS = {
    Step.CREATE_CHANNEL: "I could not create the incident channel: {detail}",
    Step.FIND_MEMBERS: "I could not find who is in {about}: {detail}",
    Step.INVITE: "I could not invite everyone: {detail}",
    Step.POST_CARD: "I could not post the incident card: {detail}",
    Step.TOPIC: "I could not set the channel's topic: {detail}",
    Step.PIN: "I could not pin the card: {detail}",
    Step.ANNOUNCE: "I could not announce it in {about}: {detail}",
    Step.FILE_TICKET: "I could not file the ticket: {detail}",
}


class SlackRoomWording:
    """RoomWording for Slack; the announcement comes from ``announcement.md.j2``."""

    def __init__(self, templates: Templates) -> None:
        self.templates = templates

    def channel_names(self, view: IncidentView) -> Iterator[str]:
        for attempt in range(1, NAME_ATTEMPTS + 1):
            yield channels.name(view.declared_at, view.id, mrkdwn.plain(view.title), attempt)

    def card(self, view: IncidentView, playbook: Playbook) -> Message:
        return Message(blocks.card(view, playbook), blocks.headline(view))

    def topic(self, view: IncidentView) -> str:
        """The channel's topic: no markup, the title's words escaped as Slack keeps text,
        within ``mrkdwn.TOPIC_LIMIT``: a long title shortened ("…", never inside an entity),
        the ending that says where help is kept."""
        head, tail = f"{view.severity.label} · ", " · /incident help"
        room = mrkdwn.TOPIC_LIMIT - len(head) - len(tail)
        title = mrkdwn.shortened(mrkdwn.inert(mrkdwn.plain(view.title)), room)
        return mrkdwn.inert(head) + title + mrkdwn.inert(tail)

    def announcement(self, view: IncidentView, channel_id: str | None) -> Message:
        posted = [e for e in view.events if e.kind is EventKind.STATUS_UPDATE_POSTED]
        due = next(
            (d.due_at for d in pending(view.deadlines) if d.kind is DeadlineKind.STATUS_UPDATE),
            None,
        )

        def render(shown: dict[str, str]) -> str:
            return self.templates.render(
                "announcement.md.j2",
                incident=view,
                incident_id=view.id,
                channel_id=channel_id,
                # The sentence was built from escaped parts when it was recorded.
                last_update=Markup(shown["update"]) if shown["update"] else None,  # noqa: S704
                declared_as=view.events[0].severity if view.events else view.severity,
                next_update_due=due,
            )

        last = {"update": posted[-1].text if posted and posted[-1].text else ""}
        kept = "the whole update is kept in the incident's record."
        whole = updates.protocol_words(self.templates)
        return Message(blocks.fitted_notice(last, render, kept, whole), blocks.headline(view))

    def status_update(self, view: IncidentView, author: str, sentence: str) -> Message:
        text = f":loudspeaker: *Status update* from {mrkdwn.user(author)}\n{sentence}"
        whole = updates.protocol_words(self.templates)
        return Message(blocks.notice(text, "", whole), sentence)

    def stakeholder_update(self, view: IncidentView, sentence: str) -> Message:
        text = self.templates.render(
            "stakeholder_update.md.j2",
            incident=view,
            incident_id=view.id,
            sentence=Markup(sentence),  # noqa: S704 - built from escaped parts when recorded
        )
        whole = updates.protocol_words(self.templates)
        return Message(blocks.notice(text, "", whole), sentence)

    def change(self, view: IncidentView, kind: EventKind, before: Severity) -> Message:
        text = self.templates.render(
            "stakeholder_change.md.j2",
            incident=view,
            kind=str(kind),
            before=before,
            channel_id=view.channel_id,
        )
        return Message(blocks.notice(text, ""), blocks.headline(view))

    def resolution(self, view: IncidentView, impact: str) -> Message:
        resolved = next(e for e in reversed(view.events) if e.kind is EventKind.RESOLVED)
        due = next(
            (d.due_at for d in pending(view.deadlines) if d.kind is DeadlineKind.POSTMORTEM), None
        )

        def render(shown: dict[str, str]) -> str:
            return self.templates.render(
                "stakeholder_resolution.md.j2",
                incident=view,
                channel_id=view.channel_id,
                resolved_at=resolved.at,
                lasted=durations.humanize(resolved.at - view.started_at),
                impact=shown["impact"],
                postmortem_due=due,
            )

        kept = "the whole impact is kept in the incident's record."
        content = blocks.fitted_notice({"impact": impact}, render, kept)
        return Message(content, f"{blocks.headline(view)} is resolved")

    def teams_invited(self, view: IncidentView, teams: list[tuple[str, str]]) -> Message:
        text = self.templates.render("teams_invited.md.j2", teams=teams)
        return Message(blocks.notice(text, ""), text)

    def problem(self, problem: SetupProblem) -> str:
        """A failed step in words: what, why and what to do (never the bare error code)."""
        about = mrkdwn.channel(problem.about) if problem.step is Step.ANNOUNCE else problem.about
        where = about if problem.step is Step.ANNOUNCE else "the incident channel"
        detail = (
            failures.reason(problem.failure, where, "I keep trying.")
            if problem.failure is not None
            else mrkdwn.escape(problem.detail)
        )
        return PROBLEMS[problem.step].format(detail=detail, about=about)
