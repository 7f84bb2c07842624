"""Bolt listeners: acknowledge at once, then do the work in a lazy listener.

Each listener parses the request into our types, calls ``Handlers`` and renders the reply. The ack
path touches neither Slack nor the database, so it answers well within Slack's 3 seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltRequest, Respond

from bot.adapters.slack import blocks
from bot.adapters.slack.commands import Command, UsageError
from bot.adapters.slack.gateway import SlackFailure, SlackGateway
from bot.adapters.slack.handlers import Handlers
from bot.adapters.slack.pins import pin_change
from bot.adapters.slack.replies import Invocation, Reply, error
from bot.adapters.slack.verbs import VERBS
from bot.services.channel_notes import ChannelNotes
from bot.services.clock import Clock, system_clock
from bot.services.ports import StorageUnavailable

log = logging.getLogger(__name__)

DATABASE_DOWN = (
    "The incident database is unreachable, so nothing was recorded. Try again in a minute; "
    "if it persists, coordinate in the announcement channel by hand and page the on-call."
)
APOLOGY = "Something went wrong on my side and it was logged. Nothing was half-recorded; try again."


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
        for button in VERBS.buttons():
            app.action(button.action_id)(ack=self.ack_quietly, lazy=[self.run_button])
        for form in VERBS.forms():
            app.view(form.callback_id)(ack=self.ack_form, lazy=[self.run_form])
        for added in ("pin_added", "reaction_added"):
            app.event(added)(ack=self.ack_quietly, lazy=[self.run_pinned])
        for removed in ("pin_removed", "reaction_removed"):
            app.event(removed)(ack=self.ack_quietly, lazy=[self.run_unpinned])

    # --- /incident ------------------------------------------------------------------------------

    def ack_command(self, ack: Ack, body: dict[str, Any], request: BoltRequest) -> None:
        try:
            command = VERBS.parse(str(body.get("text", "")))
        except UsageError as usage:
            ack(blocks=blocks.error(str(usage)), text=str(usage), response_type="ephemeral")
            return
        verb = VERBS[command.name]
        if verb.in_ack:
            reply = self.handlers.command(_typist(body), command)
            assert reply is not None
            ack(blocks=reply.blocks, text=reply.text, response_type="ephemeral")
        elif verb.acking and not _is_retry(request):
            label = command.severity.label if command.severity else ""
            ack(text=verb.acking.format(severity=label), response_type="ephemeral")
        else:
            ack()

    def run_command(self, body: dict[str, Any], respond: Respond, request: BoltRequest) -> None:
        try:
            command = VERBS.parse(str(body.get("text", "")))
        except UsageError:
            return  # answered by the ack
        verb = VERBS[command.name]
        if verb.in_ack or (_is_retry(request) and not verb.retried):
            return
        _guarded(lambda: self._dispatch(_typist(body), command), respond, self.later)

    def _dispatch(self, who: Invocation, command: Command) -> Reply | None:
        return self.handlers.command(who, command)

    # --- buttons --------------------------------------------------------------------------------

    def ack_quietly(self, ack: Ack) -> None:
        ack()

    def run_button(self, body: dict[str, Any], respond: Respond) -> None:
        """A button of the registry: its use case, with the button's value."""
        action = body["actions"][0]
        who = _clicker(body)
        _guarded(
            lambda: self.handlers.click(who, action["action_id"], str(action["value"])),
            respond,
            self.later,  # declaring from an alert sets the channel up after the reply
        )

    def run_pinned(self, event: dict[str, Any]) -> None:
        if change := pin_change(event):
            _quietly(lambda: self.notes.pinned(change))

    def run_unpinned(self, event: dict[str, Any]) -> None:
        if change := pin_change(event):
            _quietly(lambda: self.notes.unpinned(change))

    # --- forms ------------------------------------------------------------------------------------

    def ack_form(self, ack: Ack, body: dict[str, Any]) -> None:
        """A form of the registry, submitted: its errors shown at once, or accepted."""
        view = body["view"]
        errors = VERBS.form(str(view.get("callback_id"))).errors(view, self.clock())
        if errors:
            ack(response_action="errors", errors=dict(errors))
        else:
            ack()

    def run_form(self, body: dict[str, Any]) -> None:
        """Its use case, once accepted; the submitter hears privately where it was opened."""
        view = body["view"]
        form = VERBS.form(str(view.get("callback_id")))
        now = self.clock()
        if form.errors(view, now):
            return  # refused in the acknowledgement
        user = str(body["user"]["id"])
        who = Invocation(user=user, channel=user, team=body.get("team", {}).get("id", ""))
        tell_in = {"channel": user}  # a direct message until the use case names the channel

        def submit() -> Reply | None:
            submitted = form.submit(self.handlers, who, view, now)
            tell_in["channel"] = submitted.tell_in or user
            return submitted.reply

        def told(**reply: Any) -> None:
            self._tell(replace(who, channel=tell_in["channel"]), reply)

        _guarded(submit, told, self.later)

    def _tell(self, who: Invocation, reply: dict[str, Any]) -> None:
        """Tell a modal's submitter privately: where they opened it, else in a direct message."""
        content, text = reply["blocks"], reply["text"]
        try:
            self.gateway.ephemeral(who.channel, who.user, content, text)
        except SlackFailure:
            self.gateway.post(who.user, content, text)


def _typist(body: dict[str, Any]) -> Invocation:
    """Who typed a slash command, where."""
    return Invocation(
        user=body["user_id"],
        channel=body["channel_id"],
        team=body.get("team_id", ""),
        trigger_id=body.get("trigger_id", ""),
    )


def _clicker(body: dict[str, Any]) -> Invocation:
    channel = body.get("channel") or body.get("container") or {}
    return Invocation(
        user=body["user"]["id"],
        channel=str(channel.get("id") or channel.get("channel_id") or ""),
        team=body.get("team", {}).get("id", ""),
        trigger_id=body.get("trigger_id", ""),
    )
