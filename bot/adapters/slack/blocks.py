"""Block Kit for incidents: the card, lists, the timeline, help and short replies.

Built with slack_sdk's models, which refuse blocks Slack would reject; user-typed text is escaped
and cut to Slack's limits here, at the edge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.adapters.slack import mrkdwn
from bot.adapters.slack.mrkdwn import escape, truncate
from bot.adapters.slack.reasons import why
from bot.adapters.slack.registry import Scope
from bot.adapters.slack.verbs import CHANGE_SEVERITY, VERBS
from bot.core import deadlines, durations, status_page
from bot.core.deadline_kinds import DeadlineStatus
from bot.core.deadlines import Deadline, Escalation
from bot.core.follow_ups import FOLLOW_UP_KINDS, follow_up_entry
from bot.core.model import Event, EventKind, Severity
from bot.core.policy import Rung
from bot.core.rollback import Deploy
from bot.core.status_page import PageIncident
from bot.playbooks.schema import Playbook
from bot.services.read_model import IncidentView
from bot.services.response import lifecycle_moves, severity_changes

SECTION_LIMIT = mrkdwn.SECTION_LIMIT
FIELD_LIMIT = 2000
MESSAGE_BLOCK_LIMIT = 50
NOTICE_SECTIONS = mrkdwn.NOTICE_SECTIONS
SEVERITY_EMOJI = {
    Severity.SEV1: ":red_circle:",
    Severity.SEV2: ":large_orange_circle:",
    Severity.SEV3: ":large_yellow_circle:",
}
STATUS_EMOJI = {
    DeadlineStatus.PENDING: ":hourglass_flowing_sand:",
    DeadlineStatus.MET: ":white_check_mark:",
    DeadlineStatus.MISSED: ":x:",
    DeadlineStatus.CANCELLED: ":heavy_minus_sign:",
}
RUNG_WORDS = {
    Rung.OWNER: "to the owner",
    Rung.GROUP: "to the owner and the escalation group",
    Rung.PAGE: "to the owner and the escalation group, with a page",
}
Blocks = list[dict[str, Any]]


def _dicts(blocks: Iterable[Block]) -> Blocks:
    return [block.to_dict() for block in blocks]


def section(text: str) -> SectionBlock:
    """A mrkdwn section of ``text``, shortened to Slack's limit."""
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))


def headline(view: IncidentView) -> str:
    """One line naming the incident, for notifications and fallbacks (mrkdwn, escaped)."""
    incident = view
    return f"{incident.severity.label} incident {view.id}: {escape(incident.title)}"


def _fields(view: IncidentView) -> list[MarkdownTextObject]:
    incident = view
    commander = (
        mrkdwn.user(incident.commander)
        if incident.commander
        else "_unassigned_: `/incident ic @user`"
    )
    responders = " ".join(mrkdwn.user(u) for u in sorted(incident.responders)) or "_none yet_"
    services = escape(", ".join(incident.services)) or "_none named_: `/incident service <name>`"
    pairs = [
        ("State", str(incident.state).capitalize()),
        ("Commander", commander),
        ("Started", mrkdwn.date(incident.started_at)),
        ("Declared by", mrkdwn.user(incident.declared_by)),
        ("Services", services),
        ("Responders", responders),
    ]
    if (page := status_page.page_incident(view.events)) is not None:
        pairs.append(("Status page", _page_line(page)))
    pairs += [
        (f"Role: {escape(role)}", mrkdwn.user(u)) for role, u in sorted(incident.roles.items())
    ]
    return [MarkdownTextObject(text=truncate(f"*{k}*\n{v}", FIELD_LIMIT)) for k, v in pairs[:10]]


def _page_line(page: PageIncident) -> str:
    """The page incident's status, and its public link when it has one."""
    return f"{str(page.status).capitalize()} {mrkdwn.bare_link(page.url)}".rstrip()


def deadline_line(deadline: Deadline) -> str:
    emoji = STATUS_EMOJI[deadline.status]
    what = deadline.kind.description.capitalize()
    line = f"{emoji} {what}: due {mrkdwn.date(deadline.due_at)}"
    if deadline.status is DeadlineStatus.MET and deadline.met_at:
        return f"{line}, met {mrkdwn.date(deadline.met_at, '{time}')}"
    if deadline.status is DeadlineStatus.MISSED:
        late = f", met {durations.humanize(deadline.late_by)} late" if deadline.late_by else ""
        coming = deadline.next_escalation
        following = f"; {escalation_words(coming)}" if coming else ""
        return f"{line}, *missed*{late}{following}"
    if deadline.status is DeadlineStatus.CANCELLED:
        return f"{line}, no longer needed"
    return line


def escalation_words(escalation: Escalation) -> str:
    """When the next escalation of a missed deadline comes, and whom it reaches (mrkdwn)."""
    return f"next escalation {mrkdwn.date(escalation.at)}, {RUNG_WORDS[escalation.rung]}"


def _deadlines(view: IncidentView, shown: int = 8) -> str:
    listed = [d for d in view.deadlines if d.status is not DeadlineStatus.CANCELLED]
    if not listed:
        return "*Deadlines*\nNone: this severity has no protocol clock."
    hidden = len(listed) - shown
    lines = [deadline_line(d) for d in listed[-shown:]]
    more = [f"_{hidden} earlier deadline(s) in `/incident timeline`_"] if hidden > 0 else []
    return "\n".join(["*Deadlines*", *more, *lines])


def _not_told(view: IncidentView) -> str:
    """What stakeholders have not heard, where and why (empty if they heard everything)."""
    owed = view.untold
    if owed is None or not owed.refused:
        return ""
    at = mrkdwn.date(owed.entry.at, "{time}")
    what = {
        EventKind.RESOLVED: "the incident is resolved",
        EventKind.SEVERITY_CHANGED: f"of the severity change at {at}",
        EventKind.MITIGATED: f"that it was mitigated at {at}",
        EventKind.REOPENED: f"that it was reopened at {at}",
    }.get(owed.entry.kind, f"of the status update of {at}")
    reasons = [
        f"Not posted in {_where(channel)}: {_why(channel, code)}" for channel, code in owed.refused
    ]
    met = (
        ""
        if owed.entry.kind is EventKind.RESOLVED
        else "; the deadline is met once it reaches them"
    )
    return "\n".join(
        [f":warning: *Stakeholders were not told* {what}. I keep trying{met}.", *reasons]
    )


def _where(channel: str) -> str:
    return mrkdwn.channel(channel) if channel else "the incident's channel"


def _why(channel: str, code: str) -> str:
    if code == "no_channel":
        return "the incident has no channel yet and no announcement channel is set."
    return why(code, _where(channel), "")


def _first_actions(playbook: Playbook) -> str:
    steps = "\n".join(f"• {escape(step)}" for step in playbook.first_actions.checklist)
    return f"*First actions: {escape(playbook.first_actions.headline)}*\n{steps}"


def _buttons(view: IncidentView) -> ActionsBlock:
    """The registry's buttons for the incident's state, in the registry's order."""
    shown = VERBS.card_buttons(view.state)
    return ActionsBlock(
        block_id=f"incident-{view.id}",
        elements=[b.element(f"{view.id}:{view.state}:{lifecycle_moves(view)}") for b in shown],
    )


def card(view: IncidentView, playbook: Playbook) -> Blocks:
    """The pinned incident card: who, what state, every deadline, and what to do first."""
    incident = view
    title = f"{SEVERITY_EMOJI[incident.severity]} {incident.severity.label} · Incident {view.id}"
    return _dicts(
        [
            HeaderBlock(text=title),
            section(f"*{escape(incident.title)}*\n{escape(playbook.meaning)}"),
            SectionBlock(fields=_fields(view)),
            DividerBlock(),
            section(_deadlines(view)),
            *([section(not_told)] if (not_told := _not_told(view)) else []),
            section(_first_actions(playbook)),
            _buttons(view),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Updated {mrkdwn.date(view.now)} · `/incident help` for every command"
                    )
                ]
            ),
        ]
    )


def context(text: str) -> Blocks:
    """A quiet line (mrkdwn) under a message, as a context block."""
    return _dicts([ContextBlock(elements=[MarkdownTextObject(text=text)])])


def notice(
    text: str, emoji: str = ":information_source:", whole: re.Pattern[str] | None = None
) -> Blocks:
    """A message of one section, or of as many as its text needs (up to ``NOTICE_SECTIONS``,
    then shortened, and a line says so); ``text`` must already be escaped mrkdwn; ``whole``
    matches words never split between sections (``mrkdwn.pieces``)."""
    said = mrkdwn.pieces(f"{emoji} {text}" if emoji else text, SECTION_LIMIT, whole)
    if len(said) <= NOTICE_SECTIONS:
        return _dicts(section(piece) for piece in said)
    kept = said[:NOTICE_SECTIONS]
    kept[-1] = truncate(kept[-1] + " …", SECTION_LIMIT)
    shortened = (
        f"_Shortened here: the whole text ({mrkdwn.typed_length(text):,} characters) is kept "
        "in the incident's record._"
    )
    return [*_dicts(section(piece) for piece in kept), *context(shortened)]


def fitted_notice(
    parts: Mapping[str, str],
    render: Callable[[dict[str, str]], str],
    whole_kept: str,
    whole: re.Pattern[str] | None = None,
) -> Blocks:
    """``notice`` of ``render(parts)`` (free text in mrkdwn, by name: an impact, a last
    update) within ``NOTICE_SECTIONS``: past them the free text is shortened ("…", as
    ``mrkdwn.fitted`` does) and a line after it says so (``whole_kept``: where the whole is
    kept); the rendering's own words (the protocol's) are never cut, and those ``whole``
    matches never split between sections."""

    def shown(parts_shown: dict[str, str]) -> str:
        said = render(parts_shown)
        return said if parts_shown == dict(parts) else f"{said}\n_Shortened here: {whole_kept}_"

    def fits(text: str) -> bool:
        return len(mrkdwn.pieces(text, SECTION_LIMIT, whole)) <= NOTICE_SECTIONS

    text = mrkdwn.fitted(parts, shown, fits, SECTION_LIMIT * NOTICE_SECTIONS)
    return notice(text, "", whole)


def error(text: str) -> Blocks:
    return notice(text, ":warning:")


def help_text() -> Blocks:
    """``/incident help``: every verb of the registry, in its order, by where it works."""

    # Usages such as `sev1 <title>` hold angle brackets, which Slack reads as links unescaped.
    def lines(scope: Scope) -> str:
        return "\n".join(
            f"`/incident {escape(verb.usage)}`: {escape(verb.summary)}"
            for verb in VERBS
            if verb.scope is scope
        )

    return _dicts(
        [
            section("*Anywhere*\n" + lines(Scope.ANYWHERE)),
            section(
                "*On one incident: in its channel, or anywhere with its number first* "
                "(`/incident 12 resolve`, `/incident #12 ack`; `/incident 12` alone shows "
                "it; `/incident list` has the numbers)\n" + lines(Scope.INCIDENT)
            ),
        ]
    )


LISTED = 40
"""Open incidents a list shows at most (the rest counted): 42 blocks, within Slack's 50."""


def incident_list(views: Sequence[IncidentView], total: int, now: datetime) -> Blocks:
    """The first ``LISTED`` of ``views`` (the first open incidents) and how many more of the
    ``total`` open there are."""
    if not views or total == 0:
        return notice("No open incidents.", ":large_green_circle:")
    rows = [_list_row(view, now) for view in views[:LISTED]]
    if total > len(rows):
        rows.append(section(f"_and {total - len(rows)} more_"))
    return _dicts([section(f"*{total} open incident(s)*"), *rows])


def _list_row(view: IncidentView, now: datetime) -> SectionBlock:
    incident = view
    where = mrkdwn.channel(view.channel_id) if view.channel_id else "no channel"
    commander = mrkdwn.user(incident.commander) if incident.commander else "no commander"
    age = durations.humanize(now - incident.declared_at)
    following = _following(view)
    return section(
        f"{SEVERITY_EMOJI[incident.severity]} *{incident.severity.label}* · *#{view.id}* · "
        f"{where} · "
        f"{escape(truncate(incident.title, 150))}\n{age} old · {commander} · {following}"
    )


def _following(view: IncidentView) -> str:
    """What the protocol does next for ``view``: a deadline falling due or an escalation."""
    upcoming = view.next_deadline
    escalating = deadlines.next_escalation(view.deadlines)
    if escalating and (upcoming is None or escalating[1].at < upcoming.due_at):
        missed, escalation = escalating
        return f"{missed.kind.description} missed, {escalation_words(escalation)}"
    if upcoming:
        return f"next: {upcoming.kind.description} due {mrkdwn.date(upcoming.due_at, '{time}')}"
    return "no deadline pending"


def severity_confirmation(view: IncidentView, severity: Severity) -> Blocks:
    current = view.severity
    return _dicts(
        [
            section(
                f"Change {headline(view)} from {current.label} to *{severity.label}*? "
                f"Pending deadlines are replaced by the {severity.label} playbook's, counted "
                "from now; met and missed ones keep their record."
            ),
            ActionsBlock(
                elements=[
                    CHANGE_SEVERITY.element(
                        f"{view.id}:{severity}:{current}:{severity_changes(view)}",
                        severity.label,
                    ),
                ]
            ),
        ]
    )


def describe(event: Event) -> str:
    """One timeline entry in words (mrkdwn, user text escaped)."""
    who = mrkdwn.user(event.actor)
    subject = mrkdwn.user(event.subject) if event.subject else ""
    text = escape(event.text or "")
    match event.kind:
        case EventKind.DECLARED:
            return f"{who} declared a {event.severity.label if event.severity else ''}: {text}"
        case EventKind.SEVERITY_CHANGED:
            return (
                f"{who} changed the severity to {event.severity.label if event.severity else '?'}"
            )
        case EventKind.COMMANDER_ASSIGNED:
            return f"{who} made {subject} incident commander"
        case EventKind.ROLE_ASSIGNED:
            return f"{who} gave {subject} the role {text}"
        case EventKind.SERVICES_CHANGED:
            return f"{who} set the services: {escape(event.extra.get('services', ''))}"
        case EventKind.STATUS_UPDATE_POSTED:
            return f"{who} posted a status update: {text}"
        case kind if kind in FOLLOW_UP_KINDS:
            return f"{who}: {follow_up_entry(event, mrkdwn.user, escape)}"
        case EventKind.STAKEHOLDERS_TOLD:
            entry = escape(event.extra.get("update", "?"))
            return f"{who} told stakeholders of the status update (entry {entry})"
        case EventKind.STAKEHOLDERS_NOT_TOLD:
            where = mrkdwn.channel(event.extra.get("channel", ""))
            error = escape(event.extra.get("error", ""))
            return f"{who} could not tell stakeholders in {where} of the status update: `{error}`"
        case EventKind.NOTE_ADDED:
            return f"{who} noted: {text}"
        case EventKind.DEADLINE_ESCALATED:
            step, rung = event.extra.get("step", "?"), event.extra.get("rung", "")
            reached = _reached(event)
            return f"{who} escalated the missed {text} again (escalation {step}, {rung}){reached}"
        case EventKind.DEPLOY_REPORTED:
            service = escape(event.extra.get("service", ""))
            return f"{who}: `{service}` {text} was deployed during the incident"
        case EventKind.NOTICE_UNDELIVERED:
            why = escape(event.extra.get("undelivered", ""))
            return (
                f"{who} could not deliver the {text} {event.extra.get('notice', 'notice')}: {why}"
            )
    return f"{who}: {str(event.kind).replace('_', ' ')} {text}".rstrip()


def _reached(event: Event) -> str:
    reached = event.extra.get("reached")
    if reached == "nobody":
        return f"; it reached nobody: {escape(event.extra.get('undelivered', ''))}"
    return f"; told the {reached.replace('_', ' ')}" if reached else ""


def timeline(view: IncidentView) -> Blocks:
    lines = [f"{mrkdwn.date(e.at, '{date_num} {time_secs}')} {describe(e)}" for e in view.events]
    chunks: list[str] = []
    for line in lines:
        line = truncate(line, SECTION_LIMIT)
        if chunks and len(chunks[-1]) + len(line) + 1 <= SECTION_LIMIT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    head = [section(f"*Timeline of {headline(view)}*")]
    if len(chunks) > MESSAGE_BLOCK_LIMIT - 1:
        chunks = chunks[-(MESSAGE_BLOCK_LIMIT - 2) :]
        head.append(section("_earlier entries omitted_"))
    return _dicts([*head, *(section(chunk) for chunk in chunks)])


def deploy_list(deploys: Sequence[Deploy], now: datetime, service: str | None) -> Blocks:
    scope = f" of `{escape(service)}`" if service else ""
    if not deploys:
        return notice(f"No deploys{scope} in the last 24 hours.", ":package:")
    lines = []
    for deploy in deploys:
        by = f" by {mrkdwn.user(deploy.deployer)}" if deploy.deployer else ""
        commit = f" (commit `{escape(deploy.commit[:12])}`)" if deploy.commit else ""
        age = durations.humanize(now - deploy.finished_at)
        lines.append(
            f"• `{escape(deploy.service)}` {escape(deploy.version)}{commit}{by}, {age} ago"
        )
    return _dicts([section(f"*Recent deploys{scope}, newest first*\n" + "\n".join(lines))])
