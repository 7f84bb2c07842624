"""How the team responds, measured from the record: response times, deadlines kept, rollbacks.

Pure: each function reads incidents as their timelines and planned deadlines say they are
(``Record``) and nothing else. Every clock starts at the declaration (``declared_at``), not at
the issue's start the declarer may have set earlier: it measures the response, which cannot
begin before the bot knows. Durations are ``timedelta``; times are UTC.
"""

from __future__ import annotations

import enum
import functools
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.core import lifecycle
from bot.core.deadline_kinds import DeadlineKind, DeadlineStatus
from bot.core.deadlines import AWAITS_TELLING, Deadline
from bot.core.model import Event, EventKind, Incident, Severity

TAKEN = frozenset({"roll back", "already rolled back"})
"""Rollback decisions (``bot.services.rollback.Decision`` values) that follow the advice."""
SET_ASIDE = frozenset({"not related"})
"""The decision that sets the advice aside: the deploy is judged not the cause."""
NO_SERVICE = "(none named)"
"""The group of incidents that named no service, when grouped by service."""


@dataclass(frozen=True)
class Record:
    """One incident as insights read it: its id, what its timeline says it is, the timeline
    itself (in ``seq`` order) and every deadline it opened, as planned at the report's
    moment."""

    id: int
    incident: Incident
    events: tuple[Event, ...]
    deadlines: tuple[Deadline, ...]

    @functools.cached_property
    def by_kind(self) -> Mapping[EventKind, Sequence[Event]]:
        """The events of each kind, in order: read in one pass, however many measures ask
        (a report over 10,000 incidents asks each timeline for a dozen kinds)."""
        grouped: dict[EventKind, list[Event]] = {}
        for event in self.events:
            grouped.setdefault(event.kind, []).append(event)
        return grouped

    def first(self, kind: EventKind) -> Event | None:
        found = self.by_kind.get(kind)
        return found[0] if found else None


def _since(record: Record, event: Event | None) -> timedelta | None:
    return None if event is None else event.at - record.incident.declared_at


def time_to_acknowledge(record: Record) -> timedelta | None:
    """From the declaration to the first acknowledgement (``ACKNOWLEDGED``, someone paged or
    on call saying "I'm on it"); None if no one acknowledged."""
    return _since(record, record.first(EventKind.ACKNOWLEDGED))


def time_to_assemble(record: Record) -> timedelta | None:
    """From the declaration to the moment the first response deadline (Sev1: team assembled;
    Sev2: on-call engineer responded) was met, on time or late; None if none was met (a Sev3
    has no such deadline). After a severity change, the deadline met first counts."""
    met = [
        d.met_at
        for d in record.deadlines
        if d.kind in (DeadlineKind.ASSEMBLE, DeadlineKind.RESPOND) and d.met_at is not None
    ]
    first = min(met, default=None)
    return None if first is None else first - record.incident.declared_at


def time_to_first_update(record: Record) -> timedelta | None:
    """From the declaration to the first status update every stakeholder channel received
    (``STAKEHOLDERS_TOLD`` naming a status update; an update recorded before telling was
    recorded counts when posted). Tellings of a severity change, a mitigation, a resolution
    or a reopening are not status updates and do not stop this clock. None if none reached
    them all."""
    kinds = record.by_kind
    updates = {e.seq: e for e in kinds.get(EventKind.STATUS_UPDATE_POSTED, ())}
    told = [e for e in updates.values() if AWAITS_TELLING not in e.extra]
    told += [
        e
        for e in kinds.get(EventKind.STAKEHOLDERS_TOLD, ())
        if _int(e.extra.get("update")) in updates
    ]
    return _since(record, min(told, key=lambda e: e.at, default=None))


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def time_to_mitigate(record: Record) -> timedelta | None:
    """From the declaration to the first ``MITIGATED`` (impact stopped, cause maybe not);
    None if it was never marked mitigated, even if it was resolved."""
    return _since(record, record.first(EventKind.MITIGATED))


def time_to_resolve(record: Record) -> timedelta | None:
    """From the declaration to the last resolution: a reopened incident is resolved when it
    is resolved for good, so its clock runs through the reopening. None while it is open."""
    if record.incident.state not in lifecycle.POSTMORTEM_STATES:
        return None
    resolutions = record.by_kind.get(EventKind.RESOLVED, ())
    return _since(record, max(resolutions, key=lambda e: e.at, default=None))


class Metric(enum.StrEnum):
    ACKNOWLEDGE = "time to acknowledge"
    ASSEMBLE = "time to assemble"
    FIRST_UPDATE = "time to first stakeholder update"
    MITIGATE = "time to mitigate"
    RESOLVE = "time to resolve"


MEASURES: Mapping[Metric, Callable[[Record], timedelta | None]] = {
    Metric.ACKNOWLEDGE: time_to_acknowledge,
    Metric.ASSEMBLE: time_to_assemble,
    Metric.FIRST_UPDATE: time_to_first_update,
    Metric.MITIGATE: time_to_mitigate,
    Metric.RESOLVE: time_to_resolve,
}


@dataclass(frozen=True)
class Stats:
    """Of the incidents that reached a metric's stop: how many, the mean, the median (the
    middle value, or the mean of the two middle ones) and the 90th percentile (nearest rank:
    the smallest value at least 90% of them do not exceed). None when ``count`` is 0."""

    count: int
    mean: timedelta | None = None
    median: timedelta | None = None
    p90: timedelta | None = None


def stats(values: Sequence[timedelta]) -> Stats:
    if not values:
        return Stats(0)
    seconds = sorted(v.total_seconds() for v in values)
    rank = math.ceil(0.9 * len(seconds)) - 1
    return Stats(
        len(seconds),
        timedelta(seconds=statistics.fmean(seconds)),
        timedelta(seconds=statistics.median(seconds)),
        timedelta(seconds=seconds[rank]),
    )


@dataclass(frozen=True)
class Tally:
    """Deadlines of one kind and severity: met on time, missed (late, never met, or replaced
    after they fell due) and still pending; a follow-up counts once, however often its due
    date moved. Those replaced before they fell due (a severity
    change, the resolution, a follow-up dropped or moved) are not counted."""

    met: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def met_share(self) -> float | None:
        """Met on time out of those met or missed (0..1); None if none is either yet."""
        return self.met / self.decided if self.decided else None


_COUNTED = {DeadlineStatus.MET: 0, DeadlineStatus.MISSED: 1, DeadlineStatus.PENDING: 2}
"""A counted deadline status's place in a tally (a cancelled one is not counted)."""
Outcome = tuple[DeadlineKind, Severity, DeadlineStatus]


def _outcomes(record: Record) -> tuple[Outcome, ...]:
    """Each deadline's counted outcome; a follow-up's once, however often its due date moved:
    missed if it was still open when any of its due dates passed (as its post-mortem draft
    says, ``FollowUp.missed``), else as its last due date stands."""
    outcomes: list[Outcome] = []
    follow_ups: dict[int, Outcome] = {}
    for d in record.deadlines:
        if d.kind is DeadlineKind.FOLLOW_UP and d.follow_up is not None:
            earlier = follow_ups.get(d.follow_up)
            if earlier is None or earlier[2] is not DeadlineStatus.MISSED:
                follow_ups[d.follow_up] = (d.kind, d.severity, d.status)
        elif d.status in _COUNTED:
            outcomes.append((d.kind, d.severity, d.status))
    outcomes += [o for o in follow_ups.values() if o[2] in _COUNTED]
    return tuple(outcomes)


def _tallies(outcomes: Iterable[Outcome]) -> dict[tuple[DeadlineKind, Severity], Tally]:
    counts: dict[tuple[DeadlineKind, Severity], list[int]] = {}
    for kind, severity, status in outcomes:
        counts.setdefault((kind, severity), [0, 0, 0])[_COUNTED[status]] += 1
    return {key: Tally(*counts[key]) for key in sorted(counts)}


def deadline_tallies(records: Iterable[Record]) -> dict[tuple[DeadlineKind, Severity], Tally]:
    """Deadlines met and missed per kind and severity (the severity in force when each was
    opened). Post-mortems published on time are the POSTMORTEM tally, follow-ups done on
    time the FOLLOW_UP one."""
    return _tallies(o for record in records for o in _outcomes(record))


@dataclass(frozen=True)
class Rollbacks:
    """Deploys the rollback rule was decided about: advice taken (rolled back, or already
    rolled back) or set aside ("not related"), by the last decision about each deploy."""

    taken: int = 0
    set_aside: int = 0


_DEPLOY_FIELDS = ("service", "version", "finished_at")  # what names a deploy in a decision


def rollbacks(records: Iterable[Record]) -> Rollbacks:
    taken = set_aside = 0
    for record in records:
        last: dict[tuple[str, ...], str] = {}
        for event in record.by_kind.get(EventKind.ROLLBACK_DECIDED, ()):
            deploy = tuple(event.extra.get(k, "") for k in _DEPLOY_FIELDS)
            last[deploy] = event.extra.get("decision", event.text or "")
        taken += sum(1 for decision in last.values() if decision in TAKEN)
        set_aside += sum(1 for decision in last.values() if decision in SET_ASIDE)
    return Rollbacks(taken, set_aside)


@dataclass(frozen=True)
class Summary:
    """The metrics of a set of incidents."""

    incidents: int
    by_severity: Mapping[Severity, int]
    metrics: Mapping[Metric, Stats]
    deadlines: Mapping[tuple[DeadlineKind, Severity], Tally]
    rollbacks: Rollbacks = field(default_factory=Rollbacks)

    def deadlines_of(self, kind: DeadlineKind) -> Tally:
        """Every severity's deadlines of ``kind`` together."""
        total = Tally()
        for (each, _), tally in self.deadlines.items():
            if each is kind:
                total = Tally(
                    total.met + tally.met,
                    total.missed + tally.missed,
                    total.pending + tally.pending,
                )
        return total


@dataclass(frozen=True)
class _Measured:
    """One incident's measures, taken once however many groups it counts in."""

    record: Record
    times: tuple[timedelta | None, ...]
    """In ``MEASURES``' order."""
    rollbacks: Rollbacks
    outcomes: tuple[Outcome, ...]


def _measure(record: Record) -> _Measured:
    times = tuple(measure(record) for measure in MEASURES.values())
    return _Measured(record, times, rollbacks([record]), _outcomes(record))


def summarize(records: Sequence[Record]) -> Summary:
    return _summarize([_measure(r) for r in records])


def _summarize(measured: Sequence[_Measured]) -> Summary:
    records = [m.record for m in measured]
    counts = {s: 0 for s in Severity}
    for record in records:
        counts[record.incident.severity] += 1
    metrics = {
        metric: stats([v for m in measured if (v := m.times[i]) is not None])
        for i, metric in enumerate(MEASURES)
    }
    taken = sum(m.rollbacks.taken for m in measured)
    set_aside = sum(m.rollbacks.set_aside for m in measured)
    tallies = _tallies(o for m in measured for o in m.outcomes)
    return Summary(len(records), counts, metrics, tallies, Rollbacks(taken, set_aside))


class Grouping(enum.StrEnum):
    SEVERITY = "severity"
    SERVICE = "service"
    WEEK = "week"
    MONTH = "month"


def period(moment: datetime, grouping: Grouping) -> date:
    """The first day of the ISO week (Monday) or month ``moment`` (UTC) falls in."""
    day = moment.date()
    if grouping is Grouping.MONTH:
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


def groups_of(record: Record, grouping: Grouping) -> tuple[str, ...]:
    """The groups an incident counts in: its severity (as it is now), each service it names
    in lower case (or ``NO_SERVICE``), or the week (``2026-03-09``, its Monday) or month
    (``2026-03``) of its declaration."""
    incident = record.incident
    match grouping:
        case Grouping.SEVERITY:
            return (incident.severity.label,)
        case Grouping.SERVICE:  # in lower case: an alert's Checkout-API is checkout-api
            return tuple(dict.fromkeys(s.lower() for s in incident.services)) or (NO_SERVICE,)
        case Grouping.WEEK:
            return (period(incident.declared_at, grouping).isoformat(),)
    return (period(incident.declared_at, grouping).isoformat()[:7],)


def breakdown(records: Sequence[Record], grouping: Grouping) -> dict[str, Summary]:
    """``summarize`` per group, groups in order (severities, services and periods sort)."""
    return _breakdown([_measure(r) for r in records], grouping)


def _breakdown(measured: Sequence[_Measured], grouping: Grouping) -> dict[str, Summary]:
    grouped: dict[str, list[_Measured]] = {}
    for each in measured:
        for group in groups_of(each.record, grouping):
            grouped.setdefault(group, []).append(each)
    return {group: _summarize(grouped[group]) for group in sorted(grouped)}


@dataclass(frozen=True)
class Scope:
    """Which incidents a report covers: declared at or after ``since``, that held one of these
    severities at any point (a Sev1 downgraded to Sev2 is a Sev1 incident too: its Sev1
    deadlines are counted as Sev1's), and naming one of these services, in any case (an alert
    may name ``Checkout-API``); empty: any. ``services`` are lower-case."""

    since: datetime
    until: datetime
    severities: frozenset[Severity] = frozenset()
    services: frozenset[str] = frozenset()

    def covers(self, record: Record) -> bool:
        incident = record.incident
        return (
            self.since <= incident.declared_at < self.until
            and (not self.severities or not self.severities.isdisjoint(held(record)))
            and (
                not self.services
                or not self.services.isdisjoint(s.lower() for s in incident.services)
            )
        )


def held(record: Record) -> frozenset[Severity]:
    """Every severity the incident had: declared with, changed to, and now."""
    kinds = record.by_kind
    events = [*kinds.get(EventKind.DECLARED, ()), *kinds.get(EventKind.SEVERITY_CHANGED, ())]
    return frozenset(e.severity for e in events if e.severity) | {record.incident.severity}


def select(records: Iterable[Record], scope: Scope) -> list[Record]:
    return [r for r in records if scope.covers(r)]


@dataclass(frozen=True)
class Report:
    """The metrics of the incidents a scope covers, overall and by severity, service and
    period (``period``: WEEK or MONTH)."""

    scope: Scope
    period: Grouping
    overall: Summary
    by_severity: Mapping[str, Summary]
    by_service: Mapping[str, Summary]
    by_period: Mapping[str, Summary]
    incidents: tuple[Record, ...] = ()
    """The incidents it covers, in the order read."""


def report(records: Iterable[Record], scope: Scope, period: Grouping = Grouping.WEEK) -> Report:
    chosen = select(records, scope)
    measured = [_measure(r) for r in chosen]
    return Report(
        scope,
        period,
        _summarize(measured),
        _breakdown(measured, Grouping.SEVERITY),
        _breakdown(measured, Grouping.SERVICE),
        _breakdown(measured, period),
        tuple(chosen),
    )
