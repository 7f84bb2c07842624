"""A Sev3's ticket as an issue in the team's tracker, where the catalog files the service's
follow-ups; elsewhere the fallback sink (a message in the triage channel)."""

from __future__ import annotations

from bot.services.follow_up_issues import TITLE_MOST, marker, shortened
from bot.services.follow_ups import FollowUps
from bot.services.read_model import IncidentView
from bot.services.records import Ticket
from bot.services.rooms import TicketNotFiled, TicketSink
from bot.services.trackers import NewIssue, TrackerUnavailable


class TrackerTickets:
    """The TicketSink on the team's tracker. Filing is a step of the incident's set-up, so a
    tracker that is down is tried again by the set-up timer; the issue carries a marker, so
    one filed before it could be noted is found rather than filed twice."""

    def __init__(self, follow_ups: FollowUps, fallback: TicketSink) -> None:
        self.follow_ups = follow_ups
        self.fallback = fallback

    def file(self, view: IncidentView) -> Ticket:
        """The ticket: the tracker's issue (its key and link); raises TicketNotFiled."""
        found = self.follow_ups.destination(view)
        if found is None:
            return self.fallback.file(view)
        tracker, where = found
        ticket = marker(view.id, "ticket")
        rule = self.follow_ups.playbooks.policies[view.severity].follow_ups
        title = self.follow_ups.words(view.title)  # typed in Slack: its markup made words
        issue = NewIssue(
            shortened(f"{view.severity.label}: {title}", TITLE_MOST),
            f"{view.severity.label} incident {view.id}: {title}\n\n"
            f"{view.description or 'Logged in Slack; fix it in the next sprint.'}",
            ticket,
            (view.now + rule.due_after).date().isoformat(),
        )
        try:
            lease = self.follow_ups.lease
            filed = lease.file_once(view.id, "ticket", tracker, where, issue, view.declared_at)
        except TrackerUnavailable as down:
            raise TicketNotFiled(str(down)) from down
        if filed is None:
            raise TicketNotFiled(
                f"{tracker.name} may have filed it already (its answer was lost): "
                "looked for again once its search shows it"
            )
        return Ticket(tracker.name, filed.key, filed.url, view.now)
