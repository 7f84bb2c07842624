"""Sample data for every shipped template, so `incident-bot check-templates` renders them all."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.adapters import postmortem
from bot.adapters.db.incidents import StoredIncident
from bot.core import deadlines, model
from bot.core.deadline_kinds import DeadlineKind
from bot.core.deadlines import Escalation
from bot.core.follow_ups import FollowUp, TrackerLink
from bot.core.model import Event, EventKind, Severity
from bot.core.policy import PostmortemRule, ResponseRule, Rung, SeverityPolicy, StatusUpdateRule
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
# What people typed, as Slack sends it (should_escape): an @channel, then "<!channel>", "&" and
# a link's markup typed out, which Slack escapes.
HOSTILE = "<!channel> &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"
HOSTILE_SHOWN = "@channel <!channel> & <https://evil.example|click>"  # read, not acted on
POLICY = SeverityPolicy(
    Severity.SEV1,
    response=ResponseRule(
        DeadlineKind.ASSEMBLE,
        timedelta(minutes=5),
        2,
        True,
        frozenset({EventKind.ACKNOWLEDGED, EventKind.JOINED}),
    ),
    status_updates=StatusUpdateRule(timedelta(minutes=15), (timedelta(minutes=5),)),
    postmortem=PostmortemRule(timedelta(hours=48), (timedelta(hours=24),)),
)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def incident_view(
    title: str = "checkout is returning 500s",
) -> tuple[IncidentView, list[StatusUpdate]]:
    """A Sev1 from declaration to resolution, with one status update and a rollback."""
    events = [
        Event(
            1,
            T0,
            EventKind.DECLARED,
            "U0ALICE",
            Severity.SEV1,
            text=title,
            extra={"services": "checkout"},
        ),
        Event(2, _at(2), EventKind.COMMANDER_ASSIGNED, "U0ALICE", subject="U0BOB"),
        Event(3, _at(7), EventKind.ACKNOWLEDGED, "U0CAROL"),
        Event(
            4,
            _at(8),
            EventKind.ROLLBACK_DECIDED,
            "U0BOB",
            text="roll back",
            extra={"service": "checkout", "version": "v42", "commit": "abc1234"},
        ),
        Event(
            5,
            _at(12),
            EventKind.STATUS_UPDATE_POSTED,
            "U0BOB",
            next_update=timedelta(minutes=30),
            text="We are aware of errors at checkout.",
        ),
        Event(6, _at(20), EventKind.MITIGATED, "U0BOB"),
        Event(7, _at(45), EventKind.RESOLVED, "U0BOB"),
        Event(
            8,
            _at(50),
            EventKind.FOLLOW_UP_ADDED,
            "U0BOB",
            subject="U0CAROL",
            text="add retries | to the payment client",
            extra={"due": _at(14 * 24 * 60).isoformat()},
        ),
        Event(
            9,
            _at(51),
            EventKind.FOLLOW_UP_LINKED,
            "incident-bot",
            extra={
                "follow_up": "1",
                "tracker": "github",
                "key": "acme/checkout#12",
                "url": "https://github.com/acme/checkout/issues/12",
            },
        ),
        Event(10, _at(55), EventKind.FOLLOW_UP_DONE, "U0CAROL", extra={"follow_up": "1"}),
        Event(
            11,
            _at(56),
            EventKind.FOLLOW_UP_ADDED,
            "U0BOB",
            subject="U0BOB",
            text="alert on the error budget",
            extra={"due": _at(7 * 24 * 60).isoformat()},
        ),
    ]
    incident = model.replay(events)
    stored = StoredIncident(
        1,
        incident,
        description="Checkout returns 500s since the 03:00 deploy.\nPayments fail.",
        channel_id="C0INCIDENT",
        events=tuple(events),
    )
    now = _at(60)
    view = IncidentView.of(stored, deadlines.plan(events, {Severity.SEV1: POLICY}, now), now)
    update = StatusUpdate(
        _at(12),
        "U0BOB",
        "errors at checkout",
        "40% of traffic",
        "rolling back v42",
        timedelta(minutes=30),
        "We are aware of errors at checkout.",
    )
    cleared = StatusUpdate(
        _at(25),
        "U0BOB",
        "no more errors at checkout",
        "0% of traffic",
        "watching",
        timedelta(minutes=30),
        "We are aware of no more errors at checkout.",
    )
    return view, [update, cleared]


def _deadline_context() -> dict[str, Any]:
    view, _ = incident_view(HOSTILE)
    missed = next(d for d in view.deadlines if d.kind is DeadlineKind.ASSEMBLE)
    return {
        "incident": view,
        "incident_id": view.id,
        "deadline": missed,
        "owner": "U0BOB",
        "owner_group": "S0PAYMENTS",
        "follow_up": None,
    }


def _follow_up() -> FollowUp:
    """A follow-up with hostile text, linked to its issue."""
    link = TrackerLink("github", "acme/checkout#12", "https://github.com/acme/checkout/issues/12")
    return FollowUp(
        2, f"add retries {HOSTILE}", "U0CAROL", _at(14 * 24 * 60), _at(50), "U0BOB", link=link
    )


SAMPLES: Mapping[str, Callable[[], dict[str, Any]]] = {
    "deadline_overdue.md.j2": lambda: {
        **_deadline_context(),
        "late": timedelta(minutes=3),
        "escalate_to": "S0SRELEADS",
        "paged": True,
        "fired_late": timedelta(minutes=3),
        "next_escalation": Escalation(1, Rung.OWNER, _at(20)),
    },
    "deadline_escalation.md.j2": lambda: {
        **_deadline_context(),
        "escalation": Escalation(2, Rung.GROUP, _at(35)),
        "late": timedelta(minutes=30),
        "escalate_to": "S0SRELEADS",
        "paged": True,
        "next_escalation": Escalation(3, Rung.PAGE, _at(50)),
    },
    "next_escalation.md.j2": lambda: {"next_escalation": Escalation(3, Rung.PAGE, _at(50))},
    "deadline_reminder.md.j2": lambda: {
        **_deadline_context(),
        "remaining": timedelta(days=2),
        "follow_up": _follow_up(),
    },
    "status_update.md.j2": lambda: {
        "impact": f"errors at checkout {HOSTILE}",
        "affected": "5% of traffic",
        "affected_verb": "are",
        "action": "rolling back v42",
        "next_update": timedelta(minutes=30),
    },
    "postmortem.md.j2": lambda: postmortem.context(*incident_view(), _at(60)),
    "announcement.md.j2": lambda: {
        "incident": incident_view(HOSTILE)[0],
        "incident_id": 1,
        "channel_id": "C0INCIDENT",
        "declared_as": Severity.SEV2,
        "last_update": HOSTILE,
        "next_update_due": _at(30),
    },
    "stakeholder_update.md.j2": lambda: {
        "incident": incident_view(HOSTILE)[0],
        "incident_id": 1,
        "sentence": HOSTILE,
    },
    "teams_invited.md.j2": lambda: {"teams": [("checkout", "S0PAYMENTS"), (HOSTILE, "S0X")]},
    "severity_change.md.j2": lambda: {
        "who": "U0BOB",
        "before": Severity.SEV2,
        "after": Severity.SEV1,
    },
    "resolution.md.j2": lambda: {"who": "U0BOB", "postmortem_due": _at(60 * 48)},
    "stakeholder_change.md.j2": lambda: {
        "incident": incident_view(HOSTILE)[0],
        "kind": "severity_changed",
        "before": Severity.SEV2,
        "channel_id": "C0INCIDENT",
    },
    "stakeholder_resolution.md.j2": lambda: {
        "incident": incident_view(HOSTILE)[0],
        "channel_id": "C0INCIDENT",
        "resolved_at": _at(100),
        "lasted": "1 hour 40 minutes",
        "impact": HOSTILE,
        "postmortem_due": _at(60 * 48),
    },
    "status_page.md.j2": lambda: {
        "send": "update",
        "services": ["Checkout", "Sign-in"],
        "impact": f"errors at checkout {HOSTILE}",
        "affected": "5% of traffic",
        "action": "rolling back",
        "next_update": timedelta(minutes=30),
    },
}
