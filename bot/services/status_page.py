"""The public status page (Atlassian Statuspage): a declaration offers to open an incident
there, each status update offers to go there too, and the resolution resolves it and brings
its components back to operational.

Each thing sent reaches the page once, however many press at once: the incident is locked
while a claim on it is written, the page is called outside any transaction, and what it
answered is recorded with a key the database holds once (``status_page.once_key``). A page
that fails releases the claim and records nothing; the person who pressed is told why.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.core import status_page
from bot.core.model import Event, EventKind
from bot.core.status_page import (
    PAGE_STATUS,
    ComponentStatus,
    Opening,
    PageIncident,
    PageStatus,
    Send,
)
from bot.playbooks.loader import Playbooks
from bot.services.access import NotPermitted
from bot.services.chat import Chat, ChatFailure, Message
from bot.services.incidents import Changed, IncidentService
from bot.services.ports import Conflict, UnitOfWork
from bot.services.read_model import IncidentView
from bot.services.records import BOT

log = logging.getLogger(__name__)
BUSY_FOR = timedelta(minutes=2)
"""A claim older than this was left by a request that died; another press may take over."""


class Reason(enum.StrEnum):
    """Why the status page did not take a request."""

    UNAUTHORIZED = "unauthorized"  # 401/403: the API key
    NOT_FOUND = "not found"  # 404: the page id, or its incident
    REJECTED = "rejected"  # 400/422: what was sent (a component id, say)
    RATE_LIMITED = "rate limited"  # 420/429
    UNAVAILABLE = "unavailable"  # 5xx
    UNREACHABLE = "unreachable"  # no answer in time, or no connection


class PageFailure(Exception):
    """The status page did not take it: ``reason``, its HTTP ``status`` (None without an
    answer) and ``detail``, its own words. With no answer, it may have been taken anyway."""

    def __init__(self, reason: Reason, detail: str, status: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class PagePost:
    """What one request says on the page: the incident's public ``name``, its ``status``, the
    update's ``body`` and each component's status. ``tag`` names our incident in the page
    incident's metadata, so one opened by a request that died is found again."""

    name: str
    status: PageStatus
    body: str
    components: Mapping[str, ComponentStatus]
    tag: str


class StatusPage(Protocol):
    """The public status page (bot/adapters/statuspage.py); each call raises PageFailure."""

    def open(self, post: PagePost) -> PageIncident: ...

    def update(self, page_incident: str, post: PagePost) -> PageIncident: ...

    def find(self, tag: str) -> PageIncident | None:
        """The unresolved page incident whose metadata carries ``tag``, if any."""
        ...


class StatusPageWording(Protocol):
    def customer_text(
        self, view: IncidentView, send: Send, names: list[str], update: Event | None
    ) -> tuple[str, str]:
        """(name, body) for customers, about the services ``names`` (their public names);
        ``update``: the status update it carries, if any."""
        ...

    def offer(self, view: IncidentView, offer: Offer, post: PagePost) -> Message:
        """The offer in the incident's channel: the customer text and a button to send it."""
        ...

    def sent(self, view: IncidentView, user: str, send: Send, page: PageIncident) -> Message:
        """Told in the incident's channel: what reached the page, and its link."""
        ...

    def not_opened(self, view: IncidentView, failure: PageFailure) -> Message:
        """Told in the channel when opening it by itself (the playbook's ``auto``) failed."""
        ...


@dataclass(frozen=True)
class Offer:
    """What a button offers to send: ``basis`` is the status update's timeline entry (0: the
    declaration's offer) or, for a resolution, how many resolutions came before."""

    incident_id: int
    send: Send
    basis: int = 0


@dataclass(frozen=True)
class NotConfigured:
    """No status page is set up, or none of the incident's services is on it."""


@dataclass(frozen=True)
class AlreadySent:
    """It reached the page already (``entry`` says who sent it, when): nothing sent twice."""

    entry: Event


@dataclass(frozen=True)
class NotOpenedYet:
    """An update or a resolution for a page incident that was never opened."""


@dataclass(frozen=True)
class AlreadyOpen:
    """Opening, with a page incident already open: updates go to it."""

    page: PageIncident


@dataclass(frozen=True)
class NoLongerOpen:
    """Opening or updating for an incident that is over (or a page incident resolved): its
    resolution says so on the page."""


@dataclass(frozen=True)
class OpenAgain:
    """A resolution for an incident reopened since: the page stays as it is."""


@dataclass(frozen=True)
class Superseded:
    """An update older than the incident's last one: customers get the newest, offered with
    it."""


@dataclass(frozen=True)
class InProgress:
    """Someone's request is with the page right now."""

    by: str


@dataclass(frozen=True)
class Failed:
    """The page did not take it; nothing was recorded as sent."""

    failure: PageFailure


@dataclass(frozen=True)
class Sent:
    page: PageIncident
    view: IncidentView


Refusal = (
    NotConfigured
    | OpenAgain
    | Superseded
    | AlreadySent
    | NotOpenedYet
    | AlreadyOpen
    | NoLongerOpen
    | InProgress
    | NotPermitted
)
Allowed = Callable[[IncidentView], NotPermitted | None]


def anyone(_view: IncidentView) -> NotPermitted | None:
    return None


class StatusPages:
    def __init__(
        self,
        incidents: IncidentService,
        page: StatusPage | None,
        chat: Chat,
        wording: StatusPageWording,
        playbooks: Playbooks,
        refresh: Callable[[IncidentView], None] = lambda _view: None,
    ) -> None:
        self.incidents = incidents
        self.page = page  # None: no status page configured
        self.chat = chat
        self.wording = wording
        self.playbooks = playbooks
        self.refresh = refresh  # the card, which shows the page incident's state

    def components(self, view: IncidentView) -> list[tuple[str, list[str]]]:
        """(public name, component ids) of the incident's services on the page."""
        if self.page is None:
            return []
        return self.playbooks.catalog.on_page(view.services)

    def post(self, view: IncidentView, offer: Offer) -> PagePost:
        """What ``offer`` sends for the incident as it is now."""
        on_page = self.components(view)
        update = _entry(view, offer.basis) if offer.send is not Send.RESOLVE else None
        name, body = self.wording.customer_text(
            view, offer.send, [name for name, _ in on_page], update
        )
        if offer.send is Send.RESOLVE or not view.is_open:
            status, shows = PageStatus.RESOLVED, ComponentStatus.OPERATIONAL
        else:
            status = PAGE_STATUS[view.state]
            shows = self.playbooks[view.severity].status_page.components
        # Components set before, of services no longer named, are back to operational.
        components = dict.fromkeys(
            sorted(status_page.components_sent(view.events)), ComponentStatus.OPERATIONAL
        )
        components |= {c: shows for _, ids in on_page for c in ids}
        return PagePost(name, status, body, components, tag=str(view.id))

    def at_declaration(self, view: IncidentView) -> None:
        """Offer to open the page incident in the channel, or open it when the playbook says
        ``auto``; failures are logged (an automatic opening that fails is offered instead)."""
        if not self.components(view) or view.channel_id is None:
            return
        offer = Offer(view.id, Send.OPEN)
        try:
            if self.playbooks[view.severity].status_page.open is Opening.AUTO:
                outcome = self.send(BOT, offer, anyone)
                if not isinstance(outcome, Failed):
                    return
                self.chat.post(view.channel_id, self.wording.not_opened(view, outcome.failure))
            self.chat.post(view.channel_id, self.wording.offer(view, offer, self.post(view, offer)))
        except ChatFailure:
            log.exception("could not offer the status page", extra={"incident_id": view.id})

    def after_update(self, view: IncidentView, entry: int) -> None:
        """A status update (timeline entry ``entry``) was posted: offer it to the page, as an
        update of its incident, or as the opening of one. Failures are logged."""
        if not self.components(view) or view.channel_id is None or not view.is_open:
            return
        opened = status_page.page_incident(view.events)
        send = Send.OPEN if opened is None else Send.UPDATE
        offer = Offer(view.id, send, entry)
        try:
            self.chat.post(view.channel_id, self.wording.offer(view, offer, self.post(view, offer)))
        except ChatFailure:
            log.exception("could not offer the update", extra={"incident_id": view.id})

    def owed(self, incident_id: int) -> bool:
        """The page's resolution, owed since the incident was resolved (the page timer, after
        a crash or a failure): True once nothing is owed."""
        outcome = self.after_resolution(BOT, incident_id)
        return not isinstance(outcome, Failed | InProgress)

    def after_resolution(self, user: str, incident_id: int) -> Sent | Failed | Refusal | None:
        """The incident was resolved (or closed): resolve its page incident and bring its
        components back to operational, if one is open. None when there is nothing to do."""
        view = self.incidents.get(incident_id)
        opened = status_page.page_incident(view.events)
        if view.is_open or opened is None or not opened.is_open or self.page is None:
            return None
        return self.send(user, Offer(incident_id, Send.RESOLVE, _resolved(view)), anyone)

    def send(self, user: str, offer: Offer, allowed: Allowed) -> Sent | Failed | Refusal:
        """Send ``offer`` to the page for ``user`` (``allowed``: who may, asked of the locked
        incident), once however many press; record it when the page took it."""
        page = self.page
        if page is None:
            return NotConfigured()
        key = status_page.once_key(offer.incident_id, offer.send, offer.basis)

        def claim(uow: UnitOfWork, view: IncidentView) -> Refusal | IncidentView:
            if (forbidden := allowed(view)) is not None:
                return forbidden
            opened = status_page.page_incident(view.events)
            resolving = offer.send is Send.RESOLVE and opened is not None
            if not self.components(view) and not resolving:
                return NotConfigured()
            if (entry := status_page.sent_as(view.events, key)) is not None:
                return AlreadySent(entry)
            if offer.send is Send.RESOLVE and view.is_open:
                return OpenAgain()
            newest = status_page.latest_update(view.events)
            if offer.send is not Send.RESOLVE and 0 < offer.basis < newest:
                return Superseded()
            if offer.send is Send.OPEN and opened is not None:
                return AlreadyOpen(opened)
            if offer.send is not Send.OPEN and opened is None:
                return NotOpenedYet()
            if offer.send is not Send.RESOLVE and not view.is_open:
                return NoLongerOpen()
            record = uow.status_pages.get(view.id)
            busy = record is not None and record.busy_since is not None
            if busy and record and record.busy_since and view.now - record.busy_since < BUSY_FOR:
                return InProgress(record.busy_by or "someone")
            uow.status_pages.claim(view.id, key, user, view.now)
            return view

        claimed = self.incidents.hold(offer.incident_id, claim)
        if not isinstance(claimed, IncidentView):
            return claimed
        post = self.post(claimed, offer)
        try:
            answer = self._call(page, claimed, offer, post)
        except PageFailure as failure:
            self._release(offer.incident_id)
            log.warning(
                "the status page did not take it",
                extra={"incident_id": offer.incident_id, "send": str(offer.send)},
            )
            return Failed(failure)
        view = self._record(user, offer, key, answer, post)
        self.refresh(view)
        self._tell(view, self.wording.sent(view, user, offer.send, answer))
        return Sent(answer, view)

    def _call(
        self, page: StatusPage, view: IncidentView, offer: Offer, post: PagePost
    ) -> PageIncident:
        opened = status_page.page_incident(view.events)
        if opened is not None:
            return page.update(opened.id, post)
        found = page.find(post.tag)  # opened by a request that died before recording it
        return page.update(found.id, post) if found else page.open(post)

    def _record(
        self, user: str, offer: Offer, key: str, answer: PageIncident, post: PagePost
    ) -> IncidentView:
        event = self.incidents.event(
            EventKind.STATUS_PAGE_UPDATED,
            user,
            text=str(answer.status),
            extra={
                "key": key,
                "send": str(offer.send),
                "page_incident": answer.id,
                "status": str(answer.status),
                "url": answer.url,
                "components": ",".join(sorted(post.components)),
            },
        )

        def store(uow: UnitOfWork, changed: Changed) -> None:
            uow.status_pages.sent(offer.incident_id, answer, changed.event.at)

        try:
            recorded = self.incidents.record_unless(
                offer.incident_id, event, _never, lambda _now: key, store
            )
        except Conflict:  # recorded by a request that took over a stale claim
            return self.incidents.get(offer.incident_id)
        return recorded.view

    def _release(self, incident_id: int) -> None:
        def release(uow: UnitOfWork, _view: IncidentView) -> None:
            uow.status_pages.release(incident_id)

        self.incidents.hold(incident_id, release)

    def _tell(self, view: IncidentView, message: Message) -> None:
        if view.channel_id is None:
            return
        try:
            self.chat.post(view.channel_id, message)
        except ChatFailure:
            log.exception("could not say what reached the page", extra={"incident_id": view.id})


def _entry(view: IncidentView, seq: int) -> Event | None:
    """The status update at timeline entry ``seq``, if that is one."""
    found = next((e for e in view.events if e.seq == seq), None)
    return found if found and found.kind is EventKind.STATUS_UPDATE_POSTED else None


def _resolved(view: IncidentView) -> int:
    return status_page.resolutions(view.events)


def _never(_view: IncidentView) -> None:
    return None
