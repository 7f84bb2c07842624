"""Working an incident: what people record on it (acknowledging, steering its lifecycle, naming
services, roles, notes, status updates, the post-mortem), each told in its channel.

Each move is checked (who may steer, what the lifecycle allows), recorded in one unit of work,
and then said: the card refreshed, the channel told, stakeholders told of status updates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.core import lifecycle
from bot.core.model import EventKind, Severity
from bot.core.rollback import Deploy
from bot.playbooks.loader import Playbooks
from bot.services.access import Access, NotOnTheIncident
from bot.services.chat import ChatFailure, Message
from bot.services.deploys import DeployService
from bot.services.incidents import Changed, IncidentService
from bot.services.postmortems import Postmortems
from bot.services.read_model import IncidentView
from bot.services.records import StatusUpdate
from bot.services.rollback import RollbackAdvisor
from bot.services.rooms import Rooms

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Move:
    """What to record; ``steering``: only the people on the incident may, as in "resolve"."""

    kind: EventKind
    severity: Severity | None = None
    subject: str | None = None
    text: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    steering: str | None = None


@dataclass(frozen=True)
class NotAllowedNow:
    """The lifecycle forbids the move in the incident's state (``reason`` says which)."""

    reason: str


@dataclass(frozen=True)
class NotInCatalog:
    """Services the catalog does not name, and those it does."""

    unknown: tuple[str, ...]
    known: tuple[str, ...]


@dataclass(frozen=True)
class NoLongerOpen:
    """A status update for a resolved or closed incident: none is due."""


Refusal = NotOnTheIncident | NotAllowedNow | NotInCatalog | NoLongerOpen
Saying = Callable[[IncidentView], Message]
"""What the channel is told of a move, worded from the incident as the move left it."""


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

    def move(self, user: str, incident_id: int, move: Move, said: Saying) -> Refusal | None:
        """Record ``move`` by ``user``, refresh the card and tell the channel what ``said``
        words from the incident as the move left it.

        Who may steer is decided on the incident as it is while it is locked for the move.
        Raises ChatFailure when the channel cannot be told (the move is recorded)."""
        event = self.incidents.event(
            move.kind, user, move.severity, move.subject, None, move.text, move.extra
        )
        allowed = self.access.steering_rule(user, move.steering) if move.steering else _anyone
        try:
            changed: Changed | NotOnTheIncident = self.incidents.record_unless(
                incident_id, event, allowed
            )
        except lifecycle.IllegalTransition as illegal:
            return NotAllowedNow(str(illegal))
        if isinstance(changed, NotOnTheIncident):
            return changed
        self.rooms.refresh_card(changed.view)
        self.rooms.say(changed.view, said(changed.view))
        return None

    def name_services(
        self, user: str, incident_id: int, services: tuple[str, ...], said: Saying
    ) -> Refusal | None:
        """Set the affected services (all in the catalog) and advise on their deploys again."""
        known = tuple(s.name for s in self.playbooks.catalog.services)
        unknown = tuple(name for name in services if name not in known)
        if unknown:
            return NotInCatalog(unknown, known)
        move = Move(EventKind.SERVICES_CHANGED, extra={"services": ",".join(services)})
        refused = self.move(user, incident_id, move, said)
        if refused is None:
            self._advise(self.incidents.get(incident_id))
        return refused

    def post_status_update(self, incident_id: int, update: StatusUpdate) -> Refusal | None:
        """Record ``update`` (it meets the pending deadline and sets the next), then tell the
        channel and the stakeholders. Raises ChatFailure when they cannot be told."""
        if not self.incidents.get(incident_id).is_open:
            return NoLongerOpen()
        changed = self.incidents.post_status_update(incident_id, update)
        self.rooms.refresh_card(changed.view)
        self.rooms.publish_update(changed.view, update.author, update.text)
        return None

    def publish_postmortem(self, user: str, view: IncidentView, url: str) -> None:
        """Record where the post-mortem was published (meets its deadline); refresh the card."""
        self.postmortems.published(view, url, user)
        self.rooms.refresh_card(self.incidents.get(view.id))

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


def _anyone(_incident: IncidentView) -> NotOnTheIncident | None:
    return None
