"""Bolt listeners: acknowledge at once, then do the work in a lazy listener.

Each listener parses the request into our types, calls ``Handlers`` and renders the reply. The ack
path touches neither Slack nor the database, so it answers well within Slack's 3 seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond

from bot.core.model import Severity
from bot.services.channel_notes import ChannelNotes
from bot.services.clock import Clock, system_clock
from bot.services.ports import StorageUnavailable
from bot.slack import blocks, commands, modals, rollback, updates
from bot.slack.commands import Command, UsageError
from bot.slack.gateway import SlackFailure, SlackGateway
from bot.slack.handlers import Handlers
from bot.slack.pins import pin_change
from bot.slack.replies import Invocation, Reply, error

log = logging.getLogger(__name__)

DATABASE_DOWN = (
    "The incident database is unreachable, so nothing was recorded. Try again in a minute; "
    "if it persists, coordinate in the announcement channel by hand and page the on-call."
)
APOLOGY = "Something went wrong on my side and it was logged. Nothing was half-recorded; try again."
BUTTON_EVENTS = {
    "incident.ack": "ack",
    "incident.mitigated": "mitigated",
    "incident.resolve": "resolve",
    "incident.reopen": "reopen",
}


def _is_retry(request: BoltRequest) -> bool:
    return bool(request.headers.get("x-slack-retry-num"))


def _guarded(
    work: Callable[[], Reply | None],
    respond: Callable[..., object],
    later: Callable[[Callable[[], object]], object] = lambda then: then(),
) -> None:
    """Run ``work`` and send its reply; turn failures into a reply the user can act on."""
    try:
        reply = work()
    except StorageUnavailable:
        log.exception("database unavailable")
        reply = error(DATABASE_DOWN)
    except SlackFailure as failure:
        log.exception("slack call failed")
        reply = error(f"Slack refused a call: {failure}")
    except Exception:
        log.exception("unexpected error in a listener")
        reply = error(APOLOGY)
    if reply is not None:
        respond(
            blocks=reply.blocks, text=reply.text, response_type="ephemeral", replace_original=False
        )
    if reply is not None and reply.then is not None:
        later(_logged(reply.then))


def _logged(then: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            then()
        except Exception:
            log.exception("follow-up work failed")

    return run


def _quietly(work: Callable[[], object]) -> None:
    """Events have no one to answer: failures are logged."""
    try:
        work()
    except Exception:
        log.exception("could not handle a Slack event")


class Listeners:
    def __init__(
        self,
        handlers: Handlers,
        gateway: SlackGateway,
        notes: ChannelNotes,
        later: Callable[[Callable[[], object]], object],
        clock: Clock = system_clock,
    ) -> None:
        self.handlers = handlers
        self.gateway = gateway
        self.notes = notes
        self.later = later  # where follow-up work runs, after every pending answer
        self.clock = clock

    def register(self, app: App) -> None:
        app.command("/incident")(ack=self.ack_command, lazy=[self.run_command])
        for action_id in BUTTON_EVENTS:
            app.action(action_id)(ack=self.ack_quietly, lazy=[self.run_button])
        app.action("incident.severity")(ack=self.ack_quietly, lazy=[self.run_severity])
        app.view(modals.DECLARE)(ack=self.ack_declaration, lazy=[self.run_declaration])
        app.action("incident.update")(ack=self.ack_quietly, lazy=[self.run_update_button])
        for added in ("pin_added", "reaction_added"):
            app.event(added)(ack=self.ack_quietly, lazy=[self.run_pinned])
        for removed in ("pin_removed", "reaction_removed"):
            app.event(removed)(ack=self.ack_quietly, lazy=[self.run_unpinned])
        app.action("incident.declare_from_alert")(ack=self.ack_quietly, lazy=[self.run_from_alert])
        for action_id in rollback.DECISIONS:
            app.action(action_id)(ack=self.ack_quietly, lazy=[self.run_decision])
        app.view(updates.CALLBACK)(ack=self.ack_update, lazy=[self.run_update])

    # --- /incident ------------------------------------------------------------------------------

    def ack_command(self, ack: Ack, body: dict[str, Any], request: BoltRequest) -> None:
        try:
            command = commands.parse(str(body.get("text", "")))
        except UsageError as usage:
            ack(blocks=blocks.error(str(usage)), text=str(usage), response_type="ephemeral")
            return
        if command.name == "help":
            ack(blocks=blocks.help_text(), text="/incident commands", response_type="ephemeral")
        elif command.name == "declare" and not _is_retry(request):
            label = command.severity.label if command.severity else ""
            ack(text=f":rotating_light: Declaring a {label}…", response_type="ephemeral")
        else:
            ack()

    def run_command(self, body: dict[str, Any], respond: Respond, request: BoltRequest) -> None:
        try:
            command = commands.parse(str(body.get("text", "")))
        except UsageError:
            return  # answered by the ack
        if command.name == "help" or (_is_retry(request) and command.name != "declare"):
            return
        who = Invocation(
            user=body["user_id"],
            channel=body["channel_id"],
            team=body.get("team_id", ""),
            trigger_id=body.get("trigger_id", ""),
        )
        _guarded(lambda: self._dispatch(who, command), respond, self.later)

    def _dispatch(self, who: Invocation, command: Command) -> Reply | None:
        self.gateway.before_call()  # let acknowledgements in flight go first
        if command.name == "declare":
            assert command.severity is not None
            return self.handlers.declare(
                who, command.severity, command.text, request_key=f"{who.team}:{who.trigger_id}"
            )
        if command.name == "declare-modal":
            self.gateway.open_view(
                who.trigger_id, modals.declaration(self.handlers.playbooks.catalog, who.channel)
            )
            return None
        if command.name == "update" and not command.text:
            view = self.handlers.service.in_channel(who.channel)
            if view is not None:
                self.gateway.open_view(who.trigger_id, self.handlers.update_modal(view.id))
                return None
        return self.handlers.command(who, command)

    # --- buttons --------------------------------------------------------------------------------

    def ack_quietly(self, ack: Ack) -> None:
        ack()

    def run_button(self, body: dict[str, Any], respond: Respond) -> None:
        action = body["actions"][0]
        who = _clicker(body)
        name = BUTTON_EVENTS[action["action_id"]]
        _guarded(lambda: self.handlers.button(who, int(action["value"]), name), respond)

    def run_decision(self, body: dict[str, Any], respond: Respond) -> None:
        action = body["actions"][0]
        who = _clicker(body)
        _guarded(
            lambda: self.handlers.advisor.decide(who, action["action_id"], action["value"]), respond
        )

    def run_from_alert(self, body: dict[str, Any], respond: Respond) -> None:
        fingerprint = str(body["actions"][0]["value"])
        who = _clicker(body)
        _guarded(lambda: self.handlers.declare_from_alert(who, fingerprint), respond, self.later)

    def run_pinned(self, event: dict[str, Any]) -> None:
        if change := pin_change(event):
            _quietly(lambda: self.notes.pinned(change))

    def run_unpinned(self, event: dict[str, Any]) -> None:
        if change := pin_change(event):
            _quietly(lambda: self.notes.unpinned(change))

    def run_severity(self, body: dict[str, Any], respond: Respond) -> None:
        incident_id, _, severity = str(body["actions"][0]["value"]).partition(":")
        who = _clicker(body)
        _guarded(
            lambda: self.handlers.change_severity(who, int(incident_id), Severity(severity)),
            respond,
        )

    def run_update_button(self, body: dict[str, Any], respond: Respond) -> None:
        incident_id = int(body["actions"][0]["value"])

        def open_form() -> Reply | None:
            self.gateway.open_view(body["trigger_id"], self.handlers.update_modal(incident_id))
            return None

        _guarded(open_form, respond)

    # --- the status update modal --------------------------------------------------------------

    def ack_update(self, ack: Ack, body: dict[str, Any]) -> None:
        _, form = updates.read_modal(body["view"])
        if form.errors:
            ack(response_action="errors", errors=form.errors)
        else:
            ack()

    def run_update(self, body: dict[str, Any]) -> None:
        incident_id, form = updates.read_modal(body["view"])
        if form.errors:
            return
        view = self.handlers.service.get(incident_id)
        who = Invocation(user=body["user"]["id"], channel=view.channel_id or body["user"]["id"])
        _guarded(
            lambda: self.handlers.post_update(who, incident_id, form),
            lambda **reply: self._tell(who, reply),
        )

    # --- the declaration modal --------------------------------------------------------------------

    def ack_declaration(self, ack: Ack, body: dict[str, Any]) -> None:
        form = modals.read_declaration(body["view"], now=self.clock())
        if form.errors:
            ack(response_action="errors", errors=form.errors)
        else:
            ack()

    def run_declaration(self, body: dict[str, Any]) -> None:
        form = modals.read_declaration(body["view"], now=self.clock())
        if form.errors or form.severity is None:
            return
        who = Invocation(
            user=body["user"]["id"],
            channel=form.reply_channel,
            team=body.get("team", {}).get("id", ""),
        )
        key = f"{who.team}:view:{body['view']['id']}"

        def declare() -> Reply | None:
            assert form.severity is not None
            return self.handlers.declare(
                who,
                form.severity,
                form.title,
                services=form.services,
                started_at=form.started_at,
                description=form.description,
                request_key=key,
            )

        _guarded(declare, lambda **reply: self._tell(who, reply), self.later)

    def _tell(self, who: Invocation, reply: dict[str, Any]) -> None:
        """Tell a modal's submitter privately: where they opened it, else in a direct message."""
        content, text = reply["blocks"], reply["text"]
        try:
            self.gateway.ephemeral(who.channel, who.user, content, text)
        except SlackFailure:
            self.gateway.post(who.user, content, text)


def _clicker(body: dict[str, Any]) -> Invocation:
    channel = body.get("channel") or body.get("container") or {}
    return Invocation(
        user=body["user"]["id"],
        channel=str(channel.get("id") or channel.get("channel_id") or ""),
        team=body.get("team", {}).get("id", ""),
    )
