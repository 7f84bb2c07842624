"""Working an incident: what people record on it (acknowledging, steering its lifecycle, naming
services, roles, notes, status updates, the post-mortem), each told in its channel.

Each move is checked (who may steer, what the lifecycle allows), recorded in one unit of work,
and then said: the card refreshed, the channel told, stakeholders told of status updates.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core import lifecycle
from bot.core.access import right_to_record
from bot.core.model import LIFECYCLE_ACTIONS, Event, EventKind, Severity, replay
from bot.core.rollback import Deploy
from bot.playbooks.loader import Playbooks
from bot.services.access import Access, NotPermitted
from bot.services.chat import ChatFailure, Message, tell_each
from bot.services.deploys import DeployService
from bot.services.incidents import Changed, IncidentService
from bot.services.postmortems import Postmortems
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate
from bot.services.rollback import Decision, DeployRef, RollbackAdvisor
from bot.services.rollback import Refusal as RollbackRefusal
from bot.services.rooms import NO_CHANNEL, NotPosted, Rooms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Move:
    """What to record; who may record it is ``bot.core.access``'s table."""

    kind: EventKind
    severity: Severity | None = None
    subject: str | None = None
    text: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Shown:
    """The incident as a button showed it (None: the button did not say); a button acts only
    while the incident is still so."""

    severity: Severity | None = None
    state: lifecycle.State | None = None
    changes: int | None = None
    """How many changes of what it shows (severity changes, or lifecycle moves) there had
    been: a state left and come back to is not the state the button showed."""

    def differs(self, view: IncidentView) -> NoLongerAsShown | None:
        severity_moved = self.severity is not None and (
            self.severity is not view.severity or self.changes not in (None, severity_changes(view))
        )
        state_moved = self.state is not None and (
            self.state is not view.state or self.changes not in (None, lifecycle_moves(view))
        )
        if not (severity_moved or state_moved):
            return None
        kinds = {EventKind.SEVERITY_CHANGED} if severity_moved else set()
        if state_moved:
            kinds |= set(LIFECYCLE_ACTIONS)
        latest = next((e for e in reversed(view.events) if e.kind in kinds), None)
        return NoLongerAsShown(self, view.severity, view.state, latest)


def severity_changes(view: IncidentView) -> int:
    """How often the incident's severity changed."""
    return _count(view, {EventKind.SEVERITY_CHANGED})


def lifecycle_moves(view: IncidentView) -> int:
    """How many lifecycle moves (mitigated, resolved, reopened, ...) the incident made."""
    return _count(view, LIFECYCLE_ACTIONS.keys())


def _count(view: IncidentView, kinds: Collection[EventKind]) -> int:
    return sum(1 for event in view.events if event.kind in kinds)


NOTHING_SHOWN = Shown()
"""A typed command: it acts on the incident as it is."""


@dataclass(frozen=True)
class NoLongerAsShown:
    """The incident changed since the button was shown: it is ``severity`` and ``state`` now,
    last changed by ``by`` (None if not found). Nothing was recorded."""

    shown: Shown
    severity: Severity
    state: lifecycle.State
    by: Event | None


@dataclass(frozen=True)
class AlreadyResponding:
    """The person already responds to the incident: nothing recorded twice."""


@dataclass(frozen=True)
class NotAllowedNow:
    """The lifecycle forbids the move in the incident's state (``reason`` says which)."""

    reason: str


@dataclass(frozen=True)
class NotResolvedYet:
    """A published post-mortem for an incident that is still ``state`` (open): refused, since
    it would tell an incident that has not ended and the post-mortem clock starts at the
    resolution. Nothing was recorded."""

    state: lifecycle.State


@dataclass(frozen=True)
class NotInCatalog:
    """Services the catalog does not name, and those it does."""

    unknown: tuple[str, ...]
    known: tuple[str, ...]


@dataclass(frozen=True)
class NoLongerOpen:
    """A status update for a resolved or closed incident: none is due."""


class NotTold(ChatFailure):
    """Recorded, but not told: the move is in the incident's record (``view``, as it left it),
    while ``channel`` could not be told ``said`` because of ``failure``. ``channel`` is None
    when the refusal may have come from the incident's channel or the announcement channel;
    ``said`` is None when the chat was to hear more than one message."""

    def __init__(
        self,
        view: IncidentView,
        channel: str | None,
        said: Message | None,
        failure: ChatFailure,
    ) -> None:
        super().__init__(f"recorded on incident {view.id}, but not told: {failure}")
        self.view = view
        self.channel = channel
        self.said = said
        self.failure = failure


class StakeholdersNotTold(NotTold):
    """A status update recorded (and posted in the incident's channel unless ``in_channel``
    says why not) that did not reach the stakeholder channels in ``refused``: the
    status-update deadline it was to meet is not met until an update reaches them."""

    def __init__(
        self, view: IncidentView, refused: tuple[NotPosted, ...], in_channel: NotPosted | None
    ) -> None:
        first = refused[0]
        super().__init__(view, first.channel, first.message, first.failure)
        self.refused = refused
        self.in_channel = in_channel


Refusal = (
    NotPermitted
    | NotAllowedNow
    | NotInCatalog
    | NoLongerOpen
    | NoLongerAsShown
    | AlreadyResponding
    | NotResolvedYet
)
Saying = Callable[[IncidentView], Message]
"""What the channel is told of a move, worded from the incident as the move left it."""


RESPONDING = frozenset({EventKind.ACKNOWLEDGED, EventKind.JOINED})
TOLD_TO_STAKEHOLDERS = frozenset(
    {EventKind.SEVERITY_CHANGED, EventKind.MITIGATED, EventKind.RESOLVED, EventKind.REOPENED}
)
"""What stakeholders (the announcement channel) hear of, beyond declarations and updates."""


def once_key(view: IncidentView, kind: EventKind, user: str) -> str | None:
    """What may happen once only: a person acknowledges (or joins) once; each lifecycle move
    happens once from where the incident is (the n-th resolution, say). Other moves (a note,
    a role) may repeat: None."""
    if kind in RESPONDING:
        return f"{kind}:{view.id}:{user}"
    if kind in LIFECYCLE_ACTIONS:
        return f"{kind}:{view.id}:{_count(view, {kind})}"
    return None


class IncidentResponse:
    def __init__(
        self,
        incidents: IncidentService,
        rooms: Rooms,
        access: Access,
        advisor: RollbackAdvisor,
        postmortems: Postmortems,
        deploys: DeployService,
        playbooks: Playbooks,
    ) -> None:
        self.incidents = incidents
        self.rooms = rooms
        self.access = access
        self.advisor = advisor
        self.postmortems = postmortems
        self.deploys = deploys
        self.playbooks = playbooks

    def move(
        self, user: str, incident_id: int, move: Move, said: Saying, shown: Shown = NOTHING_SHOWN
    ) -> Refusal | None:
        """Record ``move`` by ``user``, refresh the card and tell the channel what ``said``
        words from the incident as the move left it.

        Decided on the incident as it is while it is locked for the move: who may (the access
        table), whether it is still as ``shown``, and whether it already happened (a second
        press of the same button, a second acknowledgement), which the database also holds.
        Raises NotTold when the channel cannot be told (the move is recorded)."""
        event = self.incidents.event(
            move.kind, user, move.severity, move.subject, None, move.text, move.extra
        )
        allowed = self.access.rule(user, right_to_record(move.kind))

        def refuse(now: IncidentView) -> Refusal | None:
            if (forbidden := allowed(now)) is not None:
                return forbidden
            if (moved := shown.differs(now)) is not None:
                return moved
            if move.kind in RESPONDING and not now.is_open:
                return NotAllowedNow(
                    f"The incident is {now.state}: there is nothing to respond to. If it is "
                    "back, the people on it reopen it with `/incident reopen`"
                )
            if move.kind in RESPONDING and any(
                e.kind is move.kind and e.actor == user for e in now.events
            ):
                return AlreadyResponding()
            return None

        try:
            changed: Changed | Refusal = self.incidents.record_unless(
                incident_id, event, refuse, lambda now: once_key(now, move.kind, user)
            )
        except lifecycle.IllegalTransition as illegal:
            return NotAllowedNow(str(illegal))
        if not isinstance(changed, Changed):
            return changed
        view = changed.view
        self.rooms.refresh_card(view)
        with _telling(view, view.channel_id, None):
            tell_each(  # stakeholders hear of it whatever the channel did
                lambda: self.rooms.say(view, said(view)),
                lambda: self._tell_stakeholders(changed, move.kind),
            )
        return None

    def _tell_stakeholders(self, changed: Changed, kind: EventKind) -> None:
        view = changed.view
        if kind not in TOLD_TO_STAKEHOLDERS:
            return
        if kind is EventKind.RESOLVED:
            refused = self.rooms.announce_resolution(view, self._impact(view))
            told = self._told(view, changed.event.seq, refused)
            if refused:
                self.rooms.refresh_card(told)
                raise refused[0]
            return
        before = replay(view.events[: changed.event.seq - 1]).severity
        if kind is not EventKind.SEVERITY_CHANGED or before is not view.severity:
            refused = self.rooms.announce_change(view, changed.event, before)
            told = self._told(view, changed.event.seq, refused)
            if refused:
                self.rooms.refresh_card(told)
                raise refused[0]

    def _told(self, view: IncidentView, entry: int, refused: Sequence[NotPosted]) -> IncidentView:
        """Record whether stakeholders heard entry ``entry`` (an update, the resolution): told,
        or owed to the channels that refused it (a timer tells them again)."""
        if not refused:
            return self.incidents.stakeholders_told(view.id, entry).view
        why = [(r.channel, r.failure.code) for r in refused]
        return self.incidents.stakeholders_not_told(view.id, entry, why).view

    def tell_again(self, incident_id: int) -> bool:
        """Tell stakeholders what they are owed (``bot.core.telling``): the status update or
        resolution, to the channels that refused it (all of them if never tried). True when
        nothing is owed any more. Raises StorageUnavailable."""
        view = self.incidents.get(incident_id)
        owed = view.untold
        if owed is None:
            return True
        entry = owed.entry
        channels = owed.channels
        if channels is None:
            channels = tuple(self.rooms.stakeholder_channels(view)) or (NO_CHANNEL,)
        if entry.kind is EventKind.RESOLVED:
            message = self.rooms.wording.resolution(view, self._impact(view))
            refused = self.rooms.tell_stakeholders(view, message, True, only=channels)
        elif entry.kind is EventKind.STATUS_UPDATE_POSTED:
            message = self.rooms.wording.stakeholder_update(view, entry.text or "")
            refused = self.rooms.tell_stakeholders(view, message, only=channels)
        else:
            before = replay([e for e in view.events if e.seq < entry.seq]).severity
            refused = self.rooms.announce_change(view, entry, before, only=channels)
        view = self._told(view, entry.seq, refused)
        self.rooms.refresh_card(view)
        return not refused

    def _impact(self, view: IncidentView) -> str:
        """The impact the last status update stated, if any did."""
        stated = [u.impact for u in self.incidents.status_updates(view.id) if u.impact]
        return stated[-1] if stated else ""

    def name_services(
        self, user: str, incident_id: int, services: tuple[str, ...], said: Saying
    ) -> Refusal | None:
        """Set the affected services (all in the catalog), invite the owning teams of those
        newly named, and advise on their deploys again. Raises NotTold when the channel
        could not be told or the teams invited (the services are recorded)."""
        known = tuple(s.name for s in self.playbooks.catalog.services)
        unknown = tuple(name for name in services if name not in known)
        if unknown:
            return NotInCatalog(unknown, known)
        before = set(self.incidents.get(incident_id).services)
        move = Move(EventKind.SERVICES_CHANGED, extra={"services": ",".join(services)})
        refused = self.move(user, incident_id, move, said)
        if refused is None:
            view = self.incidents.get(incident_id)
            newly = [name for name in services if name not in before]
            with _telling(view, view.channel_id, None):
                self.rooms.invite_owners(view, newly)
            self._advise(view)
        return refused

    def post_status_update(
        self,
        incident_id: int,
        update: StatusUpdate,
        recorded: Callable[[int], object] = lambda _seq: None,
    ) -> Refusal | None:
        """Record ``update`` (NoLongerOpen once the incident is resolved: the resolution was
        the last), tell the channel and the stakeholders, and record whether every stakeholder
        channel was told: only then is the pending status-update deadline met (the card says
        which channel was not, and why). Raises StakeholdersNotTold when a stakeholder channel
        refused it, NotTold when only the incident's channel did."""

        def refuse(now: IncidentView) -> NoLongerOpen | None:
            return None if now.is_open else NoLongerOpen()

        changed = self.incidents.post_status_update(incident_id, update, refuse)
        if not isinstance(changed, Changed):
            return changed
        view, seq = changed.view, changed.event.seq
        recorded(seq)  # its timeline entry, for what follows it (the status page's offer)
        published = self.rooms.publish_update(view, update.author, update.text)
        view = self._told(view, seq, published.not_told)
        self.rooms.refresh_card(view)
        if published.not_told:
            raise StakeholdersNotTold(view, published.not_told, published.in_channel)
        if (in_channel := published.in_channel) is not None:
            raise NotTold(view, in_channel.channel, in_channel.message, in_channel.failure)
        return None

    def publish_postmortem(
        self, user: str, view: IncidentView, url: str
    ) -> NotPermitted | NotResolvedYet | None:
        """Record where the post-mortem was published (meets its deadline); refresh the card.

        Refused while the incident is open (NotResolvedYet), decided on the locked incident:
        accepted then, it would meet no deadline and the bot would ask for it again. Raises
        NotTold when the channel cannot be told (it is recorded)."""
        allowed = self.access.rule(user, right_to_record(EventKind.POSTMORTEM_PUBLISHED))

        def refuse(now: IncidentView) -> NotPermitted | NotResolvedYet | None:
            if (forbidden := allowed(now)) is not None:
                return forbidden
            if now.state not in lifecycle.POSTMORTEM_STATES:
                return NotResolvedYet(now.state)
            return None

        published: IncidentView | NotPermitted | NotResolvedYet
        with _telling(view, view.channel_id, None):
            published = self.postmortems.published(view, url, user, refuse)
        if not isinstance(published, IncidentView):
            return published
        self.rooms.refresh_card(published)
        return None

    def decide_rollback(
        self, user: str, decision: Decision, ref: DeployRef
    ) -> RollbackRefusal | None:
        """``user``'s decision about a suspect deploy, if they may steer the incident.
        Raises NotTold when the channel cannot be told (the decision is recorded)."""
        allowed = self.access.rule(user, right_to_record(EventKind.ROLLBACK_DECIDED))
        try:
            return self.advisor.decide(user, decision, ref, allowed)
        except ChatFailure as failure:
            view = self.incidents.get(ref.incident_id)
            raise NotTold(view, view.channel_id, None, failure) from failure

    def record_deploy(self, deploy: Deploy, source: str) -> NotInCatalog | int:
        """Record a deploy of a catalog service; returns how many open incidents were advised."""
        if self.playbooks.catalog.service(deploy.service) is None:
            return NotInCatalog(
                (deploy.service,), tuple(s.name for s in self.playbooks.catalog.services)
            )
        self.deploys.record(deploy, source=source)
        return self.advisor.deploy_reported(deploy)

    def _advise(self, view: IncidentView) -> None:
        try:
            self.advisor.advise(view)
        except ChatFailure:
            log.exception("could not post the rollback advice", extra={"incident_id": view.id})


@contextlib.contextmanager
def _telling(view: IncidentView, channel: str | None, said: Message | None) -> Iterator[None]:
    """Telling people of what is recorded already: a chat failure becomes NotTold."""
    try:
        yield
    except NotPosted as refused:  # it says where, and what
        raise NotTold(view, refused.channel, refused.message, refused.failure) from refused
    except ChatFailure as failure:
        raise NotTold(view, channel, said, failure) from failure
