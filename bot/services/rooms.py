"""Incident rooms: a new incident's channel, people, card and announcement, or its ticket."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from bot.core.model import Event, EventKind, Severity
from bot.playbooks.loader import Playbooks
from bot.playbooks.schema import Playbook
from bot.services.chat import Chat, ChatFailure, Message, Tag
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView
from bot.services.records import Ticket

log = logging.getLogger(__name__)


class NotPosted(ChatFailure):
    """``channel`` refused ``message`` because of ``failure`` (the other places were tried)."""

    def __init__(self, channel: str, message: Message, failure: ChatFailure) -> None:
        super().__init__(str(failure))
        self.channel = channel
        self.message = message
        self.failure = failure


NO_CHANNEL = ""
"""The channel a refusal names when there was nowhere to post: the incident has no channel yet
and no stakeholder channel is set."""


class NowhereToPost(ChatFailure):
    """No channel to tell stakeholders in (yet)."""

    @property
    def code(self) -> str:
        return "no_channel"


@dataclass(frozen=True)
class Published:
    """Where a status update did not go: the incident's channel (``in_channel``) and the
    stakeholder channels (``stakeholders``) that refused it (``refused``)."""

    in_channel: NotPosted | None
    stakeholders: tuple[str, ...]
    refused: tuple[NotPosted, ...]

    @property
    def not_told(self) -> tuple[NotPosted, ...]:
        """The stakeholders' channels that were not told. With no stakeholder channel, the
        incident's channel is where they read it (``NO_CHANNEL`` when it has none)."""
        if self.stakeholders:
            return self.refused
        return (self.in_channel,) if self.in_channel is not None else ()


class TicketNotFiled(Exception):
    """The ticket system refused the ticket or could not be reached; ``str()`` says why."""


class TicketSink(Protocol):
    """Where tickets go for severities that get no channel (a triage channel, Jira, ...)."""

    def file(self, view: IncidentView) -> Ticket:
        """File a ticket for the incident; raises TicketNotFiled."""
        ...


class Step(enum.StrEnum):
    """A step of setting up an incident's room: each is noted when done (the channel and the
    card by their ids), so whoever finishes the set-up later does only what is left."""

    CREATE_CHANNEL = "create channel"
    FIND_MEMBERS = "find members"
    INVITE = "invite"
    POST_CARD = "post card"
    TOPIC = "topic"
    PIN = "pin"
    ANNOUNCE = "announce"
    FILE_TICKET = "file ticket"
    FIRST_ACTIONS = "first actions"
    """The rollback advice and the playbook's first actions, posted in the channel."""


WITH_A_CHANNEL = frozenset({Step.INVITE, Step.TOPIC, Step.PIN, Step.ANNOUNCE, Step.FIRST_ACTIONS})
WITHOUT_ONE = frozenset({Step.FILE_TICKET, Step.ANNOUNCE})


@dataclass(frozen=True)
class SetupProblem:
    """A failed step: ``detail`` is the failure's own words, ``about`` the team whose members
    or the channel it concerned, if any."""

    step: Step
    detail: str
    about: str = ""
    failure: ChatFailure | None = None
    """The chat's refusal itself, for wording what to do about it."""


class RoomWording(Protocol):
    """What a room says, in the chat's format (Slack: bot/adapters/slack/wording/rooms.py)."""

    def channel_names(self, view: IncidentView) -> Iterator[str]:
        """Names for the incident's channel, best first, to try while they are taken."""
        ...

    def card(self, view: IncidentView, playbook: Playbook) -> Message:
        """The pinned card: state, people, deadlines and first actions."""
        ...

    def topic(self, view: IncidentView) -> str: ...

    def announcement(self, view: IncidentView, channel_id: str | None) -> Message:
        """A new incident, for the announcement channel; ``channel_id`` is where it is worked."""
        ...

    def status_update(self, view: IncidentView, author: str, sentence: str) -> Message:
        """A status update as the incident's channel reads it."""
        ...

    def stakeholder_update(self, view: IncidentView, sentence: str) -> Message:
        """A status update as stakeholders in the announcement channel read it."""
        ...

    def change(self, view: IncidentView, kind: EventKind, before: Severity) -> Message:
        """A change stakeholders hear of: a severity change (from ``before``), mitigation or
        reopening."""
        ...

    def resolution(self, view: IncidentView, impact: str) -> Message:
        """The resolution, for stakeholders: when, after how long, the impact last stated
        (``impact``, empty if none was), when the post-mortem is due."""
        ...

    def teams_invited(self, view: IncidentView, teams: list[tuple[str, str]]) -> Message:
        """Told in the channel: the owning teams invited, as (service, user group), and why."""
        ...

    def problem(self, problem: SetupProblem) -> str:
        """One line telling the declarer what failed."""
        ...


@dataclass
class Opening:
    """What opening an incident did (its channel or ticket), and what failed, in words; and,
    until they are noted together, the set-up steps done and the card's and announcement's
    ts (Slack message ids)."""

    channel_id: str | None = None
    ticket: str | None = None
    problems: list[str] = field(default_factory=list)
    done: set[Step] = field(default_factory=set)
    card_ts: str | None = None
    announcement_ts: str | None = None

    def part(self) -> Opening:
        """A blank for one of several steps made at once, ``absorb``-ed afterwards."""
        return Opening(channel_id=self.channel_id)

    def absorb(self, part: Opening) -> None:
        self.problems += part.problems
        self.done |= part.done
        self.card_ts = part.card_ts or self.card_ts
        self.announcement_ts = part.announcement_ts or self.announcement_ts


Together = Callable[[Sequence[Callable[[], object]]], None]
"""Runs independent pieces of work (Slack calls) and returns once all are done; raises what
the first that failed raised, after the others ran. ``one_by_one`` in order; the bot's runtime
runs them at once on a pool of its own (bot/entrypoints/pools.py)."""


def one_by_one(work: Sequence[Callable[[], object]]) -> None:
    for piece in work:
        piece()


class Rooms:
    """Where an incident is worked on and told about, through the chat port.

    Failures while setting up are collected as problems for the declarer (the incident is
    declared whatever happens); a failure to post what people asked for raises ChatFailure.
    """

    def __init__(
        self,
        chat: Chat,
        incidents: IncidentService,
        playbooks: Playbooks,
        tickets: TicketSink,
        wording: RoomWording,
        announce_channel: str | None,
        together: Together = one_by_one,
    ) -> None:
        self.chat = chat
        self.incidents = incidents
        self.playbooks = playbooks
        self.tickets = tickets
        self.wording = wording
        self.announce_channel = announce_channel
        self.together = together  # a new room's independent Slack calls, made at once

    def open(self, view: IncidentView, resuming: bool = False) -> Opening:
        """Channel, then at once its people, card and the announcement, for a new incident;
        a ticket and the announcement if it gets no channel. What was done is noted in one
        write at the end. Steps done before are skipped; ``resuming`` (after a crash or a
        failure) looks in the chat for what a step may have made without noting it, before
        making it again. Raises StorageUnavailable.

        The topic and the pin are left to ``furnish``: the declarer hears first.
        """
        opening = Opening(channel_id=view.channel_id)
        if self.wants_channel(view):
            self._open_channel(view, opening, resuming)
        else:
            self._file_ticket(view, opening)
        if opening.channel_id is None:  # stakeholders hear of it now, channel or not
            self._announce(view, opening, resuming)
        self._note(view, opening)
        return opening

    def furnish(self, view: IncidentView) -> list[str]:
        """A new channel's topic and pinned card (and the announcement where it is still owed:
        each stakeholder channel looked in first), at once, noted in one write; what failed,
        if any. Raises StorageUnavailable."""
        return self.furnished(view).problems

    def furnished(self, view: IncidentView) -> Opening:
        """``furnish``, saying what it did and noted (the steps done, the announcement's ts)
        besides what failed: for a caller that goes on without reading the incident again."""
        channel = view.channel_id
        opening = Opening(channel_id=channel)
        if channel is None:
            return opening
        topic = self.wording.topic(view)
        titled, pinned, announced = opening.part(), opening.part(), opening.part()
        work: list[Callable[[], object]] = [
            lambda: self._step(
                view, titled, Step.TOPIC, lambda: self.chat.set_topic(channel, topic)
            )
        ]
        if (card_ts := view.card_ts) is not None:
            work.append(
                lambda: self._step(view, pinned, Step.PIN, lambda: self.chat.pin(channel, card_ts))
            )
        # Owed only when a channel refused it at ``open``: the others were told, look first.
        work.append(lambda: self._announce(view, announced, resuming=True))
        self.together(work)
        for part in (titled, pinned, announced):
            opening.absorb(part)
        self._note(view, opening)
        return opening

    def wants_channel(self, view: IncidentView) -> bool:
        return self.playbooks[view.severity].channel

    def left_to_do(self, view: IncidentView) -> set[Step]:
        """The set-up steps the incident's room still needs (none: it is set up)."""
        if not self.wants_channel(view):
            return set(WITHOUT_ONE - view.setup)
        left = set(WITH_A_CHANNEL - view.setup)
        if view.channel_id is None:
            left.add(Step.CREATE_CHANNEL)
        if view.card_ts is None:
            left.add(Step.POST_CARD)
        return left

    def card(self, view: IncidentView) -> Message:
        """The incident's card as it is now, for its severity's playbook."""
        return self.wording.card(view, self.playbooks[view.severity])

    def refresh_card(self, view: IncidentView) -> None:
        """Make the pinned card, and the announcement stakeholders read, say what the incident
        is now; a failure is only logged."""
        channel, ts = view.channel_id, view.card_ts
        if channel is not None and ts is not None:
            try:
                self.chat.update(channel, ts, self.card(view))
            except ChatFailure:
                log.exception("could not update the card of incident %s", view.id)
        if self.announce_channel and view.announcement_ts is not None:
            told = self.wording.announcement(view, view.channel_id)
            try:
                self.chat.update(self.announce_channel, view.announcement_ts, told)
            except ChatFailure:
                log.exception("could not update the announcement of incident %s", view.id)

    def say(self, view: IncidentView, message: Message) -> None:
        """Post in the incident's channel, if it has one; NotPosted if it refuses."""
        if view.channel_id is not None:
            self._post(view.channel_id, message)

    def announce_resolution(self, view: IncidentView, impact: str) -> list[NotPosted]:
        """Tell stakeholders the incident is over (the last status update); the stakeholder
        channels that refused it (the others were told)."""
        message = self.wording.resolution(view, impact)
        return self.tell_stakeholders(view, message, broadcast=True)

    def announce_change(
        self,
        view: IncidentView,
        entry: Event,
        before: Severity,
        only: Iterable[str] | None = None,
    ) -> list[NotPosted]:
        """Tell stakeholders (``only`` those channels) of the change ``entry``: a severity
        change (from ``before``), a mitigation or a reopening; an escalation is shown in the
        announcement channel too, and a channel the new severity adds gets the whole
        announcement. Returns the channels that refused it."""
        kind = entry.kind
        escalated = kind is EventKind.SEVERITY_CHANGED and view.severity < before
        message = self.wording.change(view, kind, before)
        earlier = [e for e in view.events if e.seq < entry.seq]
        moved = kind is EventKind.SEVERITY_CHANGED
        newly = set(self.newly_told(view, _severities(earlier))) if moved else set()
        chosen = self.stakeholder_channels(view) if only is None else list(only)
        refused: list[NotPosted] = []
        if newly & set(chosen):  # they hear of it for the first time: the whole announcement
            announcement = self.wording.announcement(view, view.channel_id)
            refused += self.tell_stakeholders(view, announcement, only=newly & set(chosen))
        others = [c for c in chosen if c not in newly]
        refused += self.tell_stakeholders(view, message, broadcast=escalated, only=others)
        return refused

    def stakeholder_channels(self, view: IncidentView) -> list[str]:
        """Where stakeholders of ``view`` read: the announcement channel, then the channels
        the playbook of each severity it has had adds (an executive channel for a Sev1, say):
        who heard of it hears the rest of its story, a downgrade and the end included."""
        return self._channels_for(view, _severities(view.events))

    def newly_told(self, view: IncidentView, before: Iterable[Severity]) -> list[str]:
        """The stakeholder channels ``view``'s severity adds to those of ``before``."""
        known = set(self._channels_for(view, before))
        return [c for c in self._channels_for(view, [view.severity]) if c not in known]

    def _channels_for(self, view: IncidentView, severities: Iterable[Severity]) -> list[str]:
        named = [self.announce_channel]
        for severity in severities:
            named += self.playbooks[severity].stakeholders.channels
        return list(dict.fromkeys(c for c in named if c and c != view.channel_id))

    def tell_stakeholders(
        self,
        view: IncidentView,
        message: Message,
        broadcast: bool = False,
        only: Iterable[str] | None = None,
    ) -> list[NotPosted]:
        """Post ``message`` to every stakeholder channel (``only`` those), each tried whatever
        the others answered: in the thread of the incident's announcement (made first if it
        is missing, also shown in the channel if ``broadcast``), and as a message of its own
        in the playbooks' other channels; ``NO_CHANNEL`` is the incident's channel, once it
        has one. Returns the refusals (none: every one was told)."""
        refused: list[NotPosted] = []
        chosen = self.stakeholder_channels(view) if only is None else list(only)
        for channel in chosen:
            if channel == NO_CHANNEL:
                try:
                    if view.channel_id is None:
                        raise NotPosted(NO_CHANNEL, message, NowhereToPost("no channel yet"))
                    self._post(view.channel_id, message)
                except NotPosted as failure:
                    refused.append(failure)
                continue
            try:
                if channel == self.announce_channel:
                    thread = self._announcement(view)
                    self._post(channel, message, thread, broadcast)
                else:
                    self._post(channel, message)
            except NotPosted as failure:
                refused.append(failure)
        return refused

    def _announcement(self, view: IncidentView) -> str | None:
        """The ts of the incident's announcement, posted now if it is not yet (a status
        update typed before the set-up announced the incident). NotPosted if it fails."""
        if view.announcement_ts is not None:
            return view.announcement_ts
        assert self.announce_channel is not None
        message = self.wording.announcement(view, view.channel_id)
        ts = self._announce_in(view, self.announce_channel, message, resuming=True)
        self.incidents.attach_announcement(view.id, ts)
        return ts

    def _post(
        self, channel: str, message: Message, thread: str | None = None, broadcast: bool = False
    ) -> None:
        try:
            self.chat.post(channel, message, thread=thread, broadcast=broadcast)
        except ChatFailure as failure:
            raise NotPosted(channel, message, failure) from failure

    def invite_owners(self, view: IncidentView, services: Iterable[str]) -> None:
        """Invite the owning teams of ``services`` (newly affected) to the incident's channel
        and tell it why; nothing without a channel (its set-up invites them). Raises
        ChatFailure."""
        channel = view.channel_id
        teams = [
            (service.name, service.user_group)
            for name in services
            if (service := self.playbooks.catalog.service(name)) is not None
        ]
        if channel is None or not teams:
            return
        people = {user for _, group in teams for user in self.chat.group_members(group)}
        self.chat.invite(channel, people)
        self.chat.post(channel, self.wording.teams_invited(view, teams))

    def publish_update(self, view: IncidentView, author: str, sentence: str) -> Published:
        """A status update, in the incident's channel and to every stakeholder channel, each
        tried whatever the others answered (see ``tell_stakeholders``)."""
        in_channel: NotPosted | None = None
        said = self.wording.status_update(view, author, sentence)
        try:
            if view.channel_id is None:
                raise NotPosted(NO_CHANNEL, said, NowhereToPost("the incident has no channel"))
            self.say(view, said)
        except NotPosted as failure:
            in_channel = failure
        told = self.wording.stakeholder_update(view, sentence)
        refused = tuple(self.tell_stakeholders(view, told))
        return Published(in_channel, tuple(self.stakeholder_channels(view)), refused)

    def _open_channel(self, view: IncidentView, opening: Opening, resuming: bool) -> None:
        channel = view.channel_id
        if channel is None:
            try:
                channel, name = self._channel(view, resuming)
            except ChatFailure as failure:
                self._failed(
                    opening, SetupProblem(Step.CREATE_CHANNEL, str(failure), failure=failure)
                )
                return
            self.incidents.attach_channel(view.id, channel, name)
            view = replace(view, channel_id=channel, channel_name=name)
        opening.channel_id = channel
        people, card, announcement = opening.part(), opening.part(), opening.part()
        self.together(
            [
                lambda: self._invite(view, channel, people),
                lambda: self._post_card(view, channel, card, resuming),
                lambda: self._announce(view, announcement, resuming),
            ]
        )
        for part in (people, card, announcement):
            opening.absorb(part)

    def _invite(self, view: IncidentView, channel: str, opening: Opening) -> None:
        if Step.INVITE in view.setup:
            return
        people = self._people(view, opening)
        everyone = not opening.problems  # every team's members were found
        self._step(view, opening, Step.INVITE, lambda: self.chat.invite(channel, people), everyone)

    def _channel(self, view: IncidentView, resuming: bool) -> tuple[str, str]:
        """The incident's channel: the one made before it could be noted, or a new one."""
        if resuming:
            first = next(iter(self.wording.channel_names(view)))
            if (found := self.chat.find_channel(first)) is not None:
                return found, first
        return self.chat.create_channel(self.wording.channel_names(view))

    def _people(self, view: IncidentView, opening: Opening) -> set[str]:
        """The declarer and the user groups of the services named."""
        people = {view.declared_by}
        for name in view.services:
            service = self.playbooks.catalog.service(name)
            if service is None:
                continue
            try:
                people.update(self.chat.group_members(service.user_group))
            except ChatFailure as failure:
                self._failed(
                    opening, SetupProblem(Step.FIND_MEMBERS, str(failure), service.team, failure)
                )
        return people

    def _post_card(
        self, view: IncidentView, channel: str, opening: Opening, resuming: bool
    ) -> None:
        if view.card_ts is not None:
            return
        tag = Tag("incident_card", {"incident": str(view.id)})
        try:
            found = self.chat.find_tagged(channel, tag) if resuming else None
            opening.card_ts = found or self.chat.post(channel, self.card(view), tag)
        except ChatFailure as failure:
            self._failed(opening, SetupProblem(Step.POST_CARD, str(failure), failure=failure))

    def _file_ticket(self, view: IncidentView, opening: Opening) -> None:
        if Step.FILE_TICKET in view.setup:
            return
        try:
            ticket = self.tickets.file(view)
        except TicketNotFiled as failure:
            self._failed(opening, SetupProblem(Step.FILE_TICKET, str(failure)))
            return
        self.incidents.ticket_filed(view.id, ticket, Step.FILE_TICKET)
        opening.ticket = ticket.reference

    def _announce(self, view: IncidentView, opening: Opening, resuming: bool) -> NotPosted | None:
        """Announce the incident in every stakeholder channel unless it was (``resuming``
        looks for an announcement made before it could be noted); the first refusal, if any
        (the step is then left to do: the set-up timer tries the rest again)."""
        if Step.ANNOUNCE in view.setup:
            return None
        message = self.wording.announcement(view, opening.channel_id)
        first: NotPosted | None = None
        for channel in self.stakeholder_channels(view):
            try:
                ts = self._announce_in(view, channel, message, resuming)
            except NotPosted as refused:
                failure = refused.failure
                self._failed(opening, SetupProblem(Step.ANNOUNCE, str(failure), channel, failure))
                first = first or refused
                continue
            if channel == self.announce_channel:
                opening.announcement_ts = ts
        if first is None:
            opening.done.add(Step.ANNOUNCE)
        return first

    def _announce_in(
        self, view: IncidentView, channel: str, message: Message, resuming: bool
    ) -> str:
        """The announcement in ``channel``, posted unless it is there; its ts (the caller
        notes the announcement channel's). NotPosted if the chat refuses it."""
        tag = Tag("incident_announcement", {"incident": str(view.id)})
        main = channel == self.announce_channel
        if main and (made := self.incidents.announcement_ts(view.id)) is not None:
            return made  # another request announced it since ``view`` was read
        try:
            found = self.chat.find_tagged(channel, tag) if resuming else None
            return found or self.chat.post(channel, message, tag)
        except ChatFailure as failure:
            raise NotPosted(channel, message, failure) from failure

    def _step(
        self,
        view: IncidentView,
        opening: Opening,
        step: Step,
        action: Callable[[], object],
        whole: bool = True,
    ) -> None:
        """Do ``step`` unless it was done, and count it done if it was done ``whole`` (a team
        whose members could not be found is invited when the set-up is tried again); a
        failure is a problem for the declarer (and the step is left to do)."""
        if step in view.setup:
            return
        try:
            action()
        except ChatFailure as failure:
            self._failed(opening, SetupProblem(step, str(failure), failure=failure))
            return
        if whole:
            opening.done.add(step)

    def _note(self, view: IncidentView, opening: Opening) -> None:
        """What ``opening`` did, in one write (nothing if it did nothing)."""
        if opening.done or opening.card_ts or opening.announcement_ts:
            self.incidents.note_setup(
                view.id,
                opening.done,
                card_ts=opening.card_ts,
                announcement_ts=opening.announcement_ts,
            )

    def _failed(self, opening: Opening, problem: SetupProblem) -> None:
        opening.problems.append(self.wording.problem(problem))


def _severities(events: Iterable[Event]) -> list[Severity]:
    """Every severity an incident has had, in order (its declaration's first)."""
    kinds = (EventKind.DECLARED, EventKind.SEVERITY_CHANGED)
    return list(dict.fromkeys(e.severity for e in events if e.kind in kinds and e.severity))
