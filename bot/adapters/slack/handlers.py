"""What each /incident command and button does in Slack: call one use case, word its answer.

Nothing here knows about HTTP or Bolt (listeners.py turns requests into these calls), nor about
storage: the use cases in ``bot.services`` own their units of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.adapters.slack import (
    access,
    blocks,
    commands,
    failures,
    modals,
    mrkdwn,
    rollback,
    stats,
    updates,
)
from bot.adapters.slack import status_page as page_words
from bot.adapters.slack.commands import Command
from bot.adapters.slack.follow_up_handlers import FollowUpHandlers
from bot.adapters.slack.registry import Anywhere, Submitted
from bot.adapters.slack.replies import Invocation, Reply, closed, error, notice, spent
from bot.adapters.slack.verbs import VERBS
from bot.adapters.templates import Templates
from bot.core import deadlines, durations, status_page
from bot.core.access import Right
from bot.core.deadline_kinds import DeadlineKind
from bot.core.model import EventKind, Severity
from bot.core.rollback import Deploy
from bot.core.status_page import Send
from bot.playbooks.loader import Playbooks
from bot.services.access import NotADeclarer, NotPermitted
from bot.services.chat import Chat, Message
from bot.services.declaring import Declaration, Declared, Declaring
from bot.services.deploys import DeployService
from bot.services.follow_ups import FollowUps
from bot.services.incidents import IncidentService
from bot.services.insights import Insights
from bot.services.postmortems import NotUploaded, Postmortems
from bot.services.read_model import IncidentView
from bot.services.records import IncidentNotFound, StatusUpdate
from bot.services.response import (
    NOTHING_SHOWN,
    AlreadyResponding,
    IncidentResponse,
    Move,
    NoLongerAsShown,
    NotAllowedNow,
    NotInCatalog,
    NotResolvedYet,
    NotTold,
    Refusal,
    Saying,
    Shown,
)
from bot.services.rollback import AlreadyDecided, Decision, RollbackAdvisor
from bot.services.rooms import Rooms
from bot.services.signals import Signals
from bot.services.status_page import (
    AlreadyOpen,
    AlreadySent,
    Failed,
    InProgress,
    NoLongerOpen,
    Offer,
    Sent,
    StatusPages,
)


@dataclass(frozen=True)
class UseCases:
    """The use cases Slack requests call, and what their answers are worded with."""

    incidents: IncidentService
    declaring: Declaring
    response: IncidentResponse
    rooms: Rooms
    advisor: RollbackAdvisor
    signals: Signals
    postmortems: Postmortems
    deploys: DeployService
    chat: Chat
    playbooks: Playbooks
    templates: Templates
    follow_ups: FollowUps
    status_pages: StatusPages | None = None
    insights: Insights | None = None


class Handlers:
    def __init__(self, use_cases: UseCases) -> None:
        self.use = use_cases
        self.service = use_cases.incidents  # the incident a request is about, by channel or id
        self.playbooks = use_cases.playbooks
        self.templates = use_cases.templates
        self.follow_ups: FollowUpHandlers = FollowUpHandlers(
            use_cases.follow_ups, use_cases.incidents, use_cases.chat
        )

    # --- declaring ---------------------------------------------------------------------------

    def declare(
        self,
        who: Invocation,
        severity: Severity,
        title: str,
        *,
        services: tuple[str, ...] | None = None,
        started_at: datetime | None = None,
        description: str = "",
        request_key: str | None = None,
    ) -> Reply:
        asked = Declaration(
            who.user, severity, title, services, started_at, description, request_key
        )
        return self._declared(who, self.use.declaring.declare(asked))

    def _declared(self, who: Invocation, declared: Declared | NotADeclarer) -> Reply:
        if isinstance(declared, NotADeclarer):
            return error(access.refusal(declared))
        view, opening = declared.view, declared.opening
        if opening is None:
            return notice(f"{blocks.headline(view)} was already declared by this request.")
        where = (
            f" in {mrkdwn.channel(opening.channel_id)}"
            if opening.channel_id
            else f": ticket {opening.ticket}"
            if opening.ticket
            else ""
        )
        lines = [f"{blocks.headline(view)} is declared{where}."]
        lines += [f"• {problem}" for problem in opening.problems]
        if opening.problems:
            lines.append("I keep trying what failed, and will tell you when it is all done.")
        emoji = ":warning:" if opening.problems else ":rotating_light:"
        reply = notice("\n".join(lines), emoji)
        if opening.channel_id is None:
            return reply
        return replace(reply, then=lambda: self.use.declaring.set_up(view.id, who.user))

    def declare_now(self, who: Invocation, command: Command) -> Reply:
        """``/incident sev1 <title>``: one declaration per slash command, however often retried."""
        assert command.severity is not None
        title = commands.shortened(command.text)
        reply = self.declare(
            who,
            command.severity,
            title,
            description=_described(command.text, title, ""),
            request_key=f"{who.team}:{who.trigger_id}",
        )
        return _titled(reply, command.text, title)

    def declare_from_alert(self, who: Invocation, fingerprint: str) -> Reply:
        declared = self.use.declaring.declare_from_alert(who.user, fingerprint)
        if declared is None:
            return error("I no longer know that alert; declare with `/incident sev1 <title>`.")
        reply = self._declared(who, declared)
        if isinstance(declared, NotADeclarer):
            return reply
        # The offer is taken: its button gives way to the incident, for everyone.
        return replace(reply, spent=blocks.context(f"Declared: {blocks.headline(declared.view)}."))

    def declare_by_form(self, who: Invocation, view: dict[str, Any], now: datetime) -> Submitted:
        """The declaration form, submitted: one incident per form, however often retried."""
        form = modals.read_declaration(view, now)
        assert form.severity is not None, "the acknowledgement refused a form with errors"
        where = replace(who, channel=form.reply_channel)
        reply = self.declare(
            where,
            form.severity,
            form.title,
            services=form.services,
            started_at=form.started_at,
            description=_described(form.whole_title, form.title, form.description),
            request_key=f"{who.team}:view:{view['id']}",
        )
        return Submitted(_titled(reply, form.whole_title, form.title), form.reply_channel)

    def open_declaration(self, who: Invocation) -> Reply | None:
        """The declaration form, for whoever may declare (the others are told at once, not
        after filling it in)."""
        refused = self.use.declaring.access.may_declare(who.user)
        if refused is not None:
            return error(access.refusal(refused))
        form = modals.declaration(self.playbooks.catalog, who.channel)
        self.use.chat.open_form(who.trigger_id, form)
        return None

    # --- commands ------------------------------------------------------------------------------

    def command(self, who: Invocation, command: Command) -> Reply | None:
        """Run a parsed command: its verb's use case, on the incident it needs if it needs one
        (the one it names by number, else the channel's)."""
        verb = VERBS[command.name]
        if isinstance(verb.runs, Anywhere):
            return verb.runs.run(self, who, command)
        if command.incident is not None:
            try:
                view = self.service.get(command.incident)
            except IncidentNotFound:
                return error(
                    f"There is no incident {command.incident}. Type `/incident list` for the "
                    "open incidents and their numbers."
                )
            return verb.runs.run(self, who, command, view)
        found = self.service.in_channel(who.channel)
        if found is None:
            outside = verb.runs.outside
            return error(
                outside(command)
                if outside
                else f"`/incident {mrkdwn.escape(verb.usage)}` is about one incident: type "
                f"`/incident &lt;number&gt; {mrkdwn.escape(verb.usage)}` (`/incident list` "
                "shows the numbers), or type it in the incident's channel."
            )
        return verb.runs.run(self, who, command, found)

    def click(self, who: Invocation, action_id: str, value: str) -> Reply | None:
        """A button of the registry, clicked; one whose value no button of ours holds (or
        whose incident is gone) is answered with what to do instead."""
        try:
            return VERBS.button(action_id).click(self, who, value)
        except IncidentNotFound as missing:
            return error(f"{str(missing).capitalize()}: `/incident list` shows the open ones.")
        except (ValueError, IndexError):  # checked here: the value may be a forged one
            return error(
                "I cannot read that button: it is not one I posted as it is now. "
                "`/incident status` in the incident's channel shows its buttons again."
            )

    def help(self) -> Reply:
        return Reply(blocks.help_text(), "/incident commands")

    def stats(self, command: Command) -> Reply:
        """The insights summary of the period the command names (``30d``), for the asker."""
        if self.use.insights is None:
            return error("Statistics are not set up on this bot.")
        found = self.use.insights.report(durations.parse(command.text))
        return Reply(stats.summary(found), stats.headline(found))

    def open_incidents(self) -> Reply:
        views, total = self.service.open_listed(blocks.LISTED)
        now = views[0].now if views else self.service.clock()
        return Reply(blocks.incident_list(views, total, now), f"{total} open incident(s)")

    # --- moves on an incident --------------------------------------------------------------------

    def act(
        self,
        who: Invocation,
        incident_id: int,
        kind: EventKind,
        message: str | Saying,
        *,
        severity: Severity | None = None,
        subject: str | None = None,
        text: str | None = None,
        extra: Mapping[str, str] | None = None,
        shown: Shown = NOTHING_SHOWN,
    ) -> Reply | None:
        """Record ``kind`` and tell the channel ``message`` (``{who}``: who did it), or what
        ``message`` words from the incident as the move left it; only while it is as
        ``shown``."""
        move = Move(kind, severity, subject, text, dict(extra or {}))
        said, told = _kept(message if callable(message) else _saying(message, who))
        refused = self.use.response.move(who.user, incident_id, move, said, shown)
        return _refusal(refused) if refused else _told_elsewhere(who, told)

    def resolve(
        self, who: Invocation, incident_id: int, shown: Shown = NOTHING_SHOWN
    ) -> Reply | None:
        def resolution(view: IncidentView) -> Message:
            pending = deadlines.pending(view.deadlines)
            due = next((d.due_at for d in pending if d.kind is DeadlineKind.POSTMORTEM), None)
            text = self.templates.render("resolution.md.j2", who=who.user, postmortem_due=due)
            return Message(blocks.notice(text, ""), text)

        try:
            reply = self.act(who, incident_id, EventKind.RESOLVED, resolution, shown=shown)
        except NotTold as partial:
            page = self._resolve_on_page(who, incident_id)
            if page is None:
                raise
            told = error(failures.not_told(partial))  # the channel first, then the page
            return replace(page, blocks=[*told.blocks, *page.blocks], text=told.text)
        return self._resolve_on_page(who, incident_id) or reply

    def _resolve_on_page(self, who: Invocation, incident_id: int) -> Reply | None:
        """A resolved incident's page incident resolved too, its components operational; what
        the person hears when the page did not take it (a button to try again)."""
        pages = self.use.status_pages
        outcome = pages.after_resolution(who.user, incident_id) if pages else None
        if not isinstance(outcome, Failed | InProgress) or pages is None:
            return None
        view = self.service.get(incident_id)
        offer = Offer(incident_id, Send.RESOLVE, status_page.resolutions(view.events))
        why = (
            page_words.failed(outcome.failure, Send.RESOLVE)
            if isinstance(outcome, Failed)
            else page_words.refusal(outcome) + " I resolve it there once that is done."
        )
        reply = error(f"{blocks.headline(view)} is resolved, but the status page is not yet: {why}")
        return replace(
            reply, blocks=[*reply.blocks, page_words.offer_buttons(offer, pages.post(view, offer))]
        )

    def send_to_status_page(self, who: Invocation, send: Send, value: str) -> Reply | None:
        """An offer's button: send it to the status page once, or say why not; once sent (or
        sent by someone else), the offer gives way to what was done."""
        offer = page_words.decode(value)
        if offer.send is not send or self.use.status_pages is None:
            raise ValueError("not a status page offer of ours")
        allowed = self.use.response.access.rule(who.user, Right.STEER)
        outcome = self.use.status_pages.send(who.user, offer, allowed)
        if isinstance(outcome, Sent):
            done = f"{mrkdwn.user(who.user)} sent it to the status page (_{outcome.page.status}_)."
            return spent(done + page_words.link(outcome.page))
        if isinstance(outcome, Failed):
            return error(page_words.failed(outcome.failure, offer.send))
        reply = error(page_words.refusal(outcome))
        if isinstance(outcome, AlreadySent | AlreadyOpen | NoLongerOpen):
            return replace(reply, spent=blocks.context(page_words.refusal(outcome)))
        return reply

    def propose_severity(self, command: Command, view: IncidentView) -> Reply:
        assert command.severity is not None
        current = view.severity
        if command.severity is current:
            return notice(f"The incident is already {current.label}.")
        return Reply(
            blocks.severity_confirmation(view, command.severity),
            f"Change to {command.severity.label}?",
        )

    def change_severity(
        self, who: Invocation, incident_id: int, severity: Severity, shown: Shown = NOTHING_SHOWN
    ) -> Reply:
        """The confirmation's button: the change, once, while the incident is as it showed;
        the confirmation is used up either way."""
        view = self.service.get(incident_id)
        before = view.severity
        if before is severity:
            return replace(
                notice(f"The incident is already {severity.label}."),
                spent=blocks.context(f"The incident is {severity.label}."),
            )
        message = self.templates.render(
            "severity_change.md.j2", who=who.user, before=before, after=severity
        )
        move = Move(EventKind.SEVERITY_CHANGED, severity)
        said = _saying(message, who)
        refused = self.use.response.move(who.user, incident_id, move, said, shown)
        if refused is None:
            return spent(f"{mrkdwn.user(who.user)} changed it to {severity.label}.")
        reply = _refusal(refused)
        assert reply is not None
        if isinstance(refused, NoLongerAsShown):
            return replace(reply, spent=blocks.context("This confirmation no longer applies."))
        return reply

    def assign_commander(
        self, who: Invocation, command: Command, view: IncidentView
    ) -> Reply | None:
        assert command.user is not None
        message = (
            ":crown: {who} took command of the incident."
            if command.user == who.user
            else f":crown: {{who}} made {mrkdwn.user(command.user)} the incident commander."
        )
        return self.act(who, view.id, EventKind.COMMANDER_ASSIGNED, message, subject=command.user)

    def assign_role(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        assert command.user is not None
        message = (
            f":label: {{who}} gave {mrkdwn.user(command.user)} the role "
            f"*{mrkdwn.escape(command.text)}*."
        )
        return self.act(
            who, view.id, EventKind.ROLE_ASSIGNED, message, subject=command.user, text=command.text
        )

    def set_services(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        said, told = _kept(
            _saying(f":gear: {{who}} set the affected services: {', '.join(command.words)}.", who)
        )
        refused = self.use.response.name_services(who.user, view.id, command.words, said)
        return _refusal(refused) if refused else _told_elsewhere(who, told)

    def note(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        return self.act(
            who,
            view.id,
            EventKind.NOTE_ADDED,
            f":memo: {{who}} noted: {mrkdwn.escape(command.text)}",
            text=command.text,
        )

    def dependencies(self, who: Invocation, view: IncidentView) -> Reply:
        health, posted = self.use.signals.check_dependencies(view)
        if posted and view.channel_id:
            here = view.channel_id == who.channel
            where = "the channel" if here else mrkdwn.channel(view.channel_id)
            return notice(f"Posted the dependency checks in {where}.", ":link:")
        return Reply(health.content, health.text)

    def postmortem(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        if command.text:
            refused = self.use.response.publish_postmortem(who.user, view, command.text)
            if isinstance(refused, NotResolvedYet):
                return error(_publish_after_resolution(view, refused))
            if refused is not None:
                return _refusal(refused)
            line = f":books: Post-mortem published: {mrkdwn.escape(command.text)}"
            return _told_elsewhere(who, [(view, Message(blocks.notice(line, ""), line))])
        try:
            self.use.postmortems.write(view)
        except NotUploaded as partial:
            where = mrkdwn.channel(partial.channel)
            again = f"Type `/incident {view.id} postmortem` again to upload it."
            why = failures.reason(partial.failure, where, again)
            return error(
                f"The post-mortem draft of {blocks.headline(view)} is written and kept with the "
                f"incident's record, but not uploaded to {where}: {why}"
            )
        if view.channel_id == who.channel:
            return notice(
                "The post-mortem draft is in the channel, and kept with the incident's record."
                " When it is published, type `/incident postmortem done <url>`.",
                ":memo:",
            )
        where = f"in {mrkdwn.channel(view.channel_id)}, and is " if view.channel_id else ""
        return notice(
            f"The post-mortem draft of {blocks.headline(view)} is {where}kept with the "
            f"incident's record. When it is published, type "
            f"`/incident {view.id} postmortem done &lt;url&gt;`.",
            ":memo:",
        )

    def decide(self, who: Invocation, decision: Decision, value: str) -> Reply | None:
        """A rollback decision button: record and carry it out, or say why not. Once decided,
        the buttons it was pressed among give way to the decision."""
        ref = rollback.decode(value)
        refused = self.use.response.decide_rollback(who.user, decision, ref)
        if refused is None:
            return Reply([], "", spent=rollback.decided_row(ref, decision, who.user))
        reply = error(rollback.refusal(refused))
        if isinstance(refused, AlreadyDecided) and (
            change := rollback.change_button(ref.incident_id, refused)
        ):
            reply = replace(reply, blocks=[*reply.blocks, change])
        return reply

    # --- deploys ---------------------------------------------------------------------------------

    def record_deploy(self, who: Invocation, command: Command) -> Reply | None:
        service, version = command.words
        deploy = Deploy(
            service=service,
            version=version,
            finished_at=self.service.clock(),
            deployer=who.user,
            environment="production",
        )
        advised = self.use.response.record_deploy(deploy, source="slack")
        if isinstance(advised, NotInCatalog):
            return error(
                f"`{mrkdwn.escape(service)}` is not in the service catalog. {_known(advised)}"
            )
        also = f" {advised} open incident(s) got fresh rollback advice." if advised else ""
        return notice(
            f"Recorded the deploy of `{mrkdwn.escape(service)}` "
            f"{mrkdwn.escape(version)}, finished now.{also}",
            ":package:",
        )

    def list_deploys(self, command: Command) -> Reply:
        service = command.words[0] if command.words else None
        found = self.use.deploys.recent(service)
        return Reply(
            blocks.deploy_list(found, self.service.clock(), service),
            f"{len(found)} recent deploy(s)",
        )

    # --- status updates -----------------------------------------------------------------------

    def _promise_choices(self, view: IncidentView) -> list[timedelta]:
        """The times to the next update the incident's playbook offers (none: no rule)."""
        status_updates = self.playbooks[view.severity].status_updates
        return list(status_updates.next_update_choices) if status_updates else []

    def update_modal(self, incident_id: int) -> dict[str, Any]:
        return updates.modal(incident_id, self._promise_choices(self.service.get(incident_id)))

    def open_update_form(self, who: Invocation, incident_id: int) -> None:
        self.use.chat.open_form(who.trigger_id, self.update_modal(incident_id))

    def update_by_form(self, who: Invocation, view: dict[str, Any], now: datetime) -> Submitted:
        """The status update form, submitted; the submitter hears in the incident's channel."""
        incident_id, form = updates.read_modal(view)
        channel = self.service.get(incident_id).channel_id
        where = replace(who, channel=channel or who.user)
        return Submitted(self.post_update(where, incident_id, form), channel)

    def update(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        """``/incident update`` alone opens the form; with fields, posts the update at once."""
        if not command.text:
            self.open_update_form(who, view.id)
            return None
        form = updates.parse_line(command.text, updates.Promises.of(self._promise_choices(view)))
        if form.errors:
            problems = "; ".join(f"{name}: {text}" for name, text in form.errors.items())
            problems = problems.rstrip(".")  # the sentence goes on: one full stop
            return error(
                f"{mrkdwn.escape(problems)}. Type it like `{updates.USAGE}`, or "
                "`/incident update` alone for the form. You typed:\n"
                f"```/incident update {mrkdwn.escape(command.text)}```"
            )
        return self.post_update(who, view.id, form)

    def post_update(
        self, who: Invocation, incident_id: int, form: updates.UpdateForm
    ) -> Reply | None:
        """The protocol's sentence, in the channel and to stakeholders; meets the deadline."""
        assert form.next_update is not None
        sentence = updates.sentence(self.templates, form)
        update = StatusUpdate(
            self.service.clock(),
            who.user,
            form.impact,
            form.affected,
            form.action,
            form.next_update,
            sentence,
        )
        entries: list[int] = []
        try:
            refused = self.use.response.post_status_update(incident_id, update, entries.append)
        except NotTold:
            self._offer_update(incident_id, entries)
            raise
        if refused is not None:
            return _refusal(refused)
        self._offer_update(incident_id, entries)
        whole = updates.protocol_words(self.templates)
        told = Message(blocks.notice(sentence, "", whole), sentence)
        return _told_elsewhere(who, [(self.service.get(incident_id), told)])

    def _offer_update(self, incident_id: int, entries: list[int]) -> None:
        """The status update just posted (its timeline entry in ``entries``), offered to the
        status page (if one is set up)."""
        if self.use.status_pages is None or not entries:
            return
        self.use.status_pages.after_update(self.service.get(incident_id), entries[0])

    def status(self, view: IncidentView) -> Reply:
        card = self.use.rooms.card(view)
        return Reply(card.content, blocks.headline(view))

    def timeline(self, view: IncidentView) -> Reply:
        return Reply(blocks.timeline(view), f"Timeline of {blocks.headline(view)}")


def _since(moved: NoLongerAsShown) -> str:
    """What changed since a button was shown, and that nothing was done."""
    now = []
    if moved.shown.severity is not None and moved.shown.severity is not moved.severity:
        now.append(f"*{moved.severity.label}*")
    if moved.shown.state is not None and moved.shown.state is not moved.state:
        now.append(f"*{str(moved.state).capitalize()}*")
    by = (
        f" ({mrkdwn.user(moved.by.actor)}, {mrkdwn.date(moved.by.at, '{time}')})"
        if moved.by
        else ""
    )
    return (
        f"Since that button was shown, the incident became {' and '.join(now)}{by}. Nothing "
        "was changed; `/incident status` shows it as it is now."
    )


def _publish_after_resolution(view: IncidentView, refused: NotResolvedYet) -> str:
    number = view.id
    return (
        f"Incident {number} is still {refused.state}, so nothing was recorded: a post-mortem "
        "tells the whole incident and is recorded once it is resolved. Resolve it first "
        f"(`/incident {number} resolve`), then type `/incident {number} postmortem done "
        f"&lt;url&gt;` again; `/incident {number} postmortem` writes the draft meanwhile."
    )


def _known(refused: NotInCatalog) -> str:
    return f"Known services: {', '.join(sorted(refused.known)) or 'none'}."


def _saying(message: str, who: Invocation) -> Saying:
    # Only the first {who}, the sentence's own: user text (a note) may hold braces, even {who}.
    text = message.replace("{who}", mrkdwn.user(who.user), 1)
    said = Message(blocks.notice(text, ""), text)
    return lambda _view: said


Told = list[tuple[IncidentView, Message]]
"""What an incident's channel was told of a move, with the incident as the move left it."""


def _kept(said: Saying) -> tuple[Saying, Told]:
    """``said``, keeping what it words for the person who asked."""
    told: Told = []

    def saying(view: IncidentView) -> Message:
        message = said(view)
        told.append((view, message))
        return message

    return saying, told


def _told_elsewhere(who: Invocation, told: Told) -> Reply | None:
    """What the incident's channel was told, for someone who asked elsewhere (another
    channel, or about an incident without one); None when they asked in its channel."""
    if not told or told[0][0].channel_id == who.channel:
        return None
    view, message = told[0]
    where = (
        f"Told in {mrkdwn.channel(view.channel_id)}."
        if view.channel_id
        else f"It has no channel; `/incident {view.id} timeline` shows it."
    )
    return closed(f"{blocks.headline(view)}: {message.text}", where, ":white_check_mark:")


def _refusal(refused: Refusal | None) -> Reply | None:
    """A use case's refusal, worded for the person who asked; None when it went through."""
    if refused is None:
        return None
    if isinstance(refused, AlreadyResponding):
        return notice("You are already responding to this incident.", ":raising_hand:")
    if isinstance(refused, NoLongerAsShown):
        return error(_since(refused))
    if isinstance(refused, NotPermitted):
        return error(access.refusal(refused))
    if isinstance(refused, NotInCatalog):
        return error(
            f"Not in the service catalog: {mrkdwn.escape(', '.join(refused.unknown))}. "
            f"{_known(refused)}"
        )
    if isinstance(refused, NotAllowedNow):
        return error(f"{refused.reason}. The card shows the incident's state.")
    return error(
        "The incident is no longer open, so no status update is due. "
        "Reopen it first with `/incident reopen` if it is back."
    )


def _described(whole: str, title: str, description: str) -> str:
    """The description a declaration records: as typed, after the whole title if ``title``
    (what the record's title holds) is shortened, so that nothing typed is lost."""
    if title == whole:
        return description
    return f"{whole}\n\n{description}" if description else whole


def _titled(reply: Reply, whole: str, title: str) -> Reply:
    """``reply`` to a declaration, saying so if its title (``whole``, as typed in the chat's
    markup) is shortened to ``title``, and where the whole is kept."""
    if title == whole:
        return reply
    typed = commands.typed_length(whole)
    over = (
        f"The title was {typed:,} characters, over {commands.TITLE_LIMIT}"
        if typed > commands.TITLE_LIMIT
        else "The title holds more markup (&amp;, &lt; or &gt;) than a title keeps"
    )
    said = (
        f"{over}: it is shortened after its last whole word that fits, and kept whole in "
        "the incident's record (its description)."
    )
    return replace(reply, blocks=[*reply.blocks, *blocks.context(said)])
