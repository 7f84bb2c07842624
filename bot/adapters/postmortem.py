"""What a post-mortem draft says: the record arranged for the people who write it up."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.core import durations, insights, model
from bot.core.deadline_kinds import DeadlineStatus
from bot.core.follow_ups import FOLLOW_UP_KINDS, follow_up_entry
from bot.core.model import Event, EventKind
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate

# Markdown (CommonMark, GitHub's tables) and HTML in what people typed, shown as typed: the
# characters that make markup escaped with a backslash, a line's opening marker too; a web
# address kept as it is (a reader's viewer links it), but for what would end a table cell.
_MARKUP = re.compile(r"([\\`*_\[\]<>|~&!{}])")
_LINE_MARKER = re.compile(r"^(\s*(?:\d+)?)([#>+=-]|(?<=\d)[.)])", re.MULTILINE)
_ADDRESS = re.compile(r"\b(?:https?|mailto):[^\s<>]*[^\s<>.,;:!?)\]'\"]")


def markdown(text: str, cell: bool = True) -> str:
    """``text`` (words, as ``mrkdwn.plain`` makes them) as Markdown that shows it as it is:
    no emphasis, link, image, HTML tag, heading, list or quote of its own. ``cell``: its
    ``|`` escaped too, so it stays in its table cell (False: the template does it)."""
    shown: list[str] = []
    at = 0
    for address in _ADDRESS.finditer(text):
        shown.append(_inline(text[at : address.start()], cell))
        shown.append(address.group(0).replace("|", "%7C") if cell else address.group(0))
        at = address.end()
    shown.append(_inline(text[at:], cell))
    return _LINE_MARKER.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", "".join(shown))


def _inline(text: str, cell: bool) -> str:
    escaped = _MARKUP.sub(r"\\\1", text)
    return escaped if cell else escaped.replace("\\|", "|")


def _at(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _took(delta: timedelta | None) -> str:
    return durations.humanize(delta) if delta is not None else "not reached"


_DURATIONS = (
    ("Time to acknowledge", insights.time_to_acknowledge),
    ("Time to assemble (or respond)", insights.time_to_assemble),
    ("Time to first status update", insights.time_to_first_update),
    ("Time to mitigate", insights.time_to_mitigate),
    ("Time to resolve", insights.time_to_resolve),
)
"""The draft's key durations: the insights' metrics, each from the declaration
(``bot.core.insights`` defines where each stops)."""

_AFFECTED = re.compile(r"([\d.]+)% of traffic|([\d,]+) users?")


def _extent(affected: str) -> tuple[int, float]:
    """How bad a status update's ``affected`` (``5% of traffic``, ``1,200 users``) is, to
    compare: none affected (``0%``, ``0 users``, the recovery's word) ranks below any harm;
    then a share of traffic outranks a count of users (it is said when the whole is hit),
    then the larger number; text in neither form ranks last."""
    match = _AFFECTED.fullmatch(affected.strip())
    if match is None:
        return (0, 0.0)
    if match.group(1) is not None:
        share = float(match.group(1))
        return (3, share) if share > 0 else (1, 0.0)
    users = float(match.group(2).replace(",", ""))
    return (2, users) if users > 0 else (1, 0.0)


def worst(updates: Sequence[StatusUpdate]) -> StatusUpdate | None:
    """The status update that reported the worst impact (the earliest of equals), if any."""
    return max(updates, key=lambda u: _extent(u.affected), default=None)


def _item(text: str) -> str:
    """Text for a list item of the draft: its later lines indented, so they stay in it (a
    pinned message's "- " or "# " lines make no list or heading of their own)."""
    return "\n  ".join(text.splitlines())


def _what(event: Event, person: Callable[[str], str], words: Callable[[str], str]) -> str:
    detail = words(event.text or "")
    match event.kind:
        case EventKind.DECLARED | EventKind.SEVERITY_CHANGED:
            detail = f"{event.severity.label if event.severity else ''} {detail}".strip()
        case EventKind.COMMANDER_ASSIGNED | EventKind.ROLE_ASSIGNED:
            detail = f"{person(event.subject or '')} {detail}".strip()
        case EventKind.SERVICES_CHANGED:
            detail = markdown(event.extra.get("services", ""))
        case EventKind.ROLLBACK_DECIDED | EventKind.ROLLBACK_ADVISED:
            deploy = " ".join(event.extra.get(k, "") for k in ("service", "version", "commit"))
            deploy = markdown(deploy)
            detail = f"{detail} {deploy}".strip()
        case kind if kind in FOLLOW_UP_KINDS:
            return follow_up_entry(event, person, words)
    action = str(event.kind).replace("_", " ")
    return f"{action}: {detail}" if detail else action


def _shown(said: Callable[[str], str]) -> Callable[[str], str]:
    return lambda text: markdown(said(text))


def context(
    view: IncidentView,
    updates: Sequence[StatusUpdate],
    now: datetime,
    person: Callable[[str], str] = str,
    words: Callable[[str], str] = str,
) -> dict[str, Any]:
    """What the template gets; ``person`` turns a Slack user id into a name a reader knows,
    ``words`` what people typed (in the chat's markup) into words for the document; both come
    out as Markdown showing them as they are (``markdown``)."""
    typed, person, words = words, _shown(person), _shown(words)
    incident, events = view, view.events
    start = incident.declared_at
    record = insights.Record(view.id, model.replay(events), events, view.deadlines)
    worst_update, last = worst(updates), updates[-1] if updates else None
    listed = [d for d in view.deadlines if d.status is not DeadlineStatus.CANCELLED]
    return {
        "title": words(incident.title),
        "incident_id": view.id,
        "severity": incident.severity.label,
        "state": str(incident.state),
        "declared_at": _at(start),
        "started_at": _at(incident.started_at),
        "declared_by": person(incident.declared_by),
        "services": markdown(", ".join(incident.services)),
        "now": _at(now),
        "commander": person(incident.commander) if incident.commander else None,
        "responders": ", ".join(sorted(person(r) for r in incident.responders)),
        "roles": sorted((markdown(role), person(who)) for role, who in incident.roles.items()),
        "severities": [
            {
                "at": _at(e.at),
                "severity": e.severity.label if e.severity else "?",
                "by": person(e.actor),
            }
            for e in events
            if e.kind in (EventKind.DECLARED, EventKind.SEVERITY_CHANGED)
        ],
        "description": words(view.description).strip(),
        "impact": words(worst_update.impact) if worst_update else "",
        "affected": worst_update.affected if worst_update else "",
        "impact_at": _at(worst_update.posted_at) if worst_update else "",
        "last_impact": (
            {"impact": words(last.impact), "affected": last.affected, "at": _at(last.posted_at)}
            if last is not None and last is not worst_update
            else None
        ),
        "durations": [(name, _took(measure(record))) for name, measure in _DURATIONS],
        "deadlines": [
            {
                "what": d.kind.description,
                "due": _at(d.due_at),
                "met": _at(d.met_at),
                "late": durations.humanize(d.late_by) if d.late_by else "-",
                "status": str(d.status),
            }
            for d in listed
        ],
        "replaced": len(view.deadlines) - len(listed),
        "rollback": [
            f"{_at(e.at)} {person(e.actor)}: {_what(e, person, words)}"
            for e in events
            if e.kind in (EventKind.ROLLBACK_ADVISED, EventKind.ROLLBACK_DECIDED)
        ],
        "updates": [
            {"at": _at(u.posted_at), "author": person(u.author), "text": _item(words(u.text))}
            for u in updates
        ],
        "timeline": [
            {"at": _at(e.at), "actor": person(e.actor), "what": _item(_what(e, person, words))}
            for e in events
            if e.kind is not EventKind.STAKEHOLDERS_TOLD  # bookkeeping: only a failure tells
        ],
        "follow_ups": [
            {
                "number": f.number,
                "what": _item(markdown(typed(f.what), cell=False)),  # the template escapes |
                "owner": person(f.owner),
                "due": _at(f.due_at),
                "state": str(f.state),
                "on_time": f.done_on_time,
                "issue": f.link.key if f.link else "",
                "url": f.link.url if f.link else "",
            }
            for f in view.follow_ups
        ],
        "follow_ups_done_on_time": sum(1 for f in view.follow_ups if f.done_on_time),
    }
